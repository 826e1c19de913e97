"""What an evaluation produces: a simulation's record with its episodes, and metric summaries.

Plain data, written to and read from the stats database (:mod:`metta_lit.evaluation.stats_db`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class Pairing:
    """Who played a cross-play episode: the first ``agents`` agents were the policy's, the rest
    its partner's, as ``split`` (e.g. ``1v3``) says."""

    split: str
    policy_key: str
    policy_version: int
    agents: int
    partner_key: str
    partner_version: int


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
    pairing: Pairing | None = None  # set in cross-play


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

    def mean(self, metric: str = "reward", side: Literal["all", "policy", "others"] = "all") -> float:
        """Mean over the simulation's agent-episodes of every agent, of the policy's agents, or of
        the others (its cross-play partner's or the NPCs'); a missing metric counts as zero."""
        values = [
            m.get(metric, 0.0)
            for e in self.episodes
            for i, m in enumerate(e.agent_metrics)
            if side == "all" or (side == "policy") == self._is_policys(e, i)
        ]
        return sum(values) / len(values) if values else math.nan

    def _is_policys(self, episode: EpisodeRecord, agent: int) -> bool:
        """Whether the agent was the policy's: by the cross-play split (in self-play both sides
        are the same policy), else by the policy that played it."""
        if episode.pairing is not None:
            return agent < episode.pairing.agents
        return episode.agent_policies[agent] == (self.policy_key, self.policy_version)


@dataclass(frozen=True)
class MetricSummary:
    mean: float
    std: float
    count: int  # agent-episode samples that recorded the metric
    samples: int  # agent-episode samples of the policy in the simulation


@dataclass(frozen=True)
class CrossplaySide:
    """The agents one policy played in a cross-play episode (self-play: all of them)."""

    episode_id: str
    simulation: str  # suite/name
    split: str
    slot: str  # seed/env.k: the same map for every pairing
    first: bool  # the split's first side (its first agents); self-play is one side, first
    policy: tuple[str, int]
    partner: tuple[str, int]
    first_agents: int  # agents of the split's first side
    agents: int  # agents on this side
    reward: float  # their summed reward
