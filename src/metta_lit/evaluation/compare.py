"""Paired comparison of two policies: the same simulations on the same seeds, one episode of
each per map, and a bootstrap interval on the mean difference.

Pairing removes what the maps contribute to the variance (an easy map is easy for both), so
fewer episodes resolve a difference than two independent evaluations would need. The
percentile bootstrap makes no assumption about the shape of the differences (episode rewards
are often skewed or mostly zero). Everything is seeded: the same (policies, simulations,
seed, episodes) give the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metta_lit.evaluation.config import SimulationConfig
from metta_lit.evaluation.records import SimulationRecord
from metta_lit.evaluation.runner import PolicyHandle, run_simulation
from metta_lit.evaluation.statistics import bootstrap_interval, episodes_needed


@dataclass(frozen=True)
class Comparison:
    simulation: str
    episodes: int
    mean_a: float  # mean reward per agent of A's agents, over episodes
    mean_b: float
    difference: float  # mean of the paired differences A - B
    low: float  # bootstrap 95% interval of the difference
    high: float
    needed: float  # episodes at which an interval of this spread would exclude 0 (inf: no difference seen)

    @property
    def verdict(self) -> str:
        if self.low > 0:
            return "A better"
        if self.high < 0:
            return "B better"
        return f"no detectable difference at N={self.episodes}"


def episode_scores(record: SimulationRecord) -> dict[str, float]:
    """Per episode slot (``seed/env.k``: the map), the mean reward of the candidate's agents."""
    out = {}
    for episode in record.episodes:
        own = [m.get("reward", 0.0) for m, p in zip(episode.agent_metrics, episode.agent_policies, strict=True)]
        own = own[: episode.agent_policies.count(episode.agent_policies[0])]  # the candidate acts for the first
        out[f"{episode.attributes['seed']}/{episode.attributes['slot']}"] = sum(own) / len(own)
    return out


def compare_on(
    a: PolicyHandle, b: PolicyHandle, sim: SimulationConfig, seed: int, device: str = "cpu"
) -> tuple[Comparison, list[SimulationRecord]]:
    """Plays ``sim`` with A and with B on the same seed and compares them episode by episode."""
    records = [run_simulation(handle, sim, seed, device=device) for handle in (a, b)]
    scores_a, scores_b = (episode_scores(r) for r in records)
    slots = sorted(set(scores_a) & set(scores_b))
    if len(slots) < 2:
        raise ValueError(f"{sim.full_name}: {len(slots)} paired episodes finished; a comparison needs at least 2")
    d = np.array([scores_a[s] - scores_b[s] for s in slots])
    low, high = bootstrap_interval(d, seed)
    comparison = Comparison(
        sim.full_name,
        len(slots),
        float(np.mean([scores_a[s] for s in slots])),
        float(np.mean([scores_b[s] for s in slots])),
        float(d.mean()),
        low,
        high,
        episodes_needed(d),
    )
    return comparison, records
