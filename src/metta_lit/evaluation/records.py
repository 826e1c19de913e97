"""What an evaluation produces: a simulation's record with its episodes, and metric summaries.

Plain data, written to and read from the stats database (:mod:`metta_lit.evaluation.stats_db`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class EpisodeRecord:
    """One finished episode, ready to be written."""

    id: str
    simulation_id: str
    step_count: int
    created_at: datetime
    attributes: dict[str, str]
    agent_groups: list[int]  # group id per agent
    agent_metrics: list[dict[str, float]]  # per agent: {"reward": ..., "<stat>": ...}
    agent_policies: list[tuple[str, int]]  # per agent: (policy_key, policy_version)
    replay_url: str | None = None
    episode_metrics: dict[str, float] = field(default_factory=dict)  # the episode's own: coop/*


@dataclass
class SimulationRecord:
    id: str
    suite: str  # stored as simulations.name
    name: str  # stored as simulations.env
    policy_key: str
    policy_version: int
    created_at: datetime
    finished_at: datetime
    episodes: list[EpisodeRecord] = field(default_factory=list)

    def mean(self, metric: str = "reward") -> float:
        """Mean over all agent-episodes of the simulation; a missing metric counts as zero."""
        values = [m.get(metric, 0.0) for e in self.episodes for m in e.agent_metrics]
        return sum(values) / len(values) if values else math.nan


@dataclass(frozen=True)
class MetricSummary:
    mean: float
    std: float
    count: int  # agent-episode samples that recorded the metric
    samples: int  # agent-episode samples of the policy in the simulation
