"""Runs simulations: policies act (the one TorchRL acting path, :mod:`metta_lit.rl.acting`)
until every episode is done, and each episode becomes a record for the stats database."""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import torch

from metta_lit.checkpoints import CheckpointManager
from metta_lit.checkpoints.uri import RANDOM_URI
from metta_lit.evaluation.config import SimulationConfig
from metta_lit.evaluation.records import EpisodeRecord, SimulationRecord
from metta_lit.policy import Policy, RandomPolicy
from metta_lit.rl.acting import play_episodes
from metta_lit.rl.torch_env import EpisodeResult, MettaGridTorchEnv


@dataclass
class PolicyHandle:
    """A policy and the key/version its episodes are recorded under."""

    policy: Policy
    key: str
    version: int
    uri: str = ""  # the resolved URI it was loaded from ('' when built in code)

    @classmethod
    def from_uri(cls, uri: str, device: str | torch.device = "cpu") -> PolicyHandle:
        """The policy a URI designates, or ``random`` (adopts the catalog of the env it acts in)."""
        if uri == RANDOM_URI:
            return cls(RandomPolicy({}, []), RANDOM_URI, 0, RANDOM_URI)
        policy, key, _ = CheckpointManager.load_from_uri(uri, device)
        return cls(policy.eval(), key.run, key.version, uri)


def flatten(prefix: str, value: Any, out: dict[str, str]) -> dict[str, str]:
    """Nested config -> ``{"config.game.max_steps": "1000", ...}`` episode attributes."""
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(f"{prefix}.{k}", v, out)
    else:
        out[prefix] = value if isinstance(value, str) else json.dumps(value)
    return out


def run_simulation(
    candidate: PolicyHandle,
    sim: SimulationConfig,
    seed: int = 0,
    replay_dir: str | None = None,
    npc: PolicyHandle | None = None,
    max_envs: int = 16,
    device: str | torch.device = "cpu",
) -> SimulationRecord:
    """Runs ``sim.num_episodes`` episodes (spread over up to ``max_envs`` envs) and records them.

    The first ``floor(agents * policy_agents_pct)`` agents of each env are the candidate's,
    the others the NPC's (``npc``, or ``sim.npc_policy_uri``). Actions are sampled from a
    torch RNG seeded with ``seed``, so a simulation repeats exactly.
    """
    cfg = sim.env_config()
    agents = cfg.game.num_agents
    if sim.policy_agents_pct < 1.0 and npc is None:
        if sim.npc_policy_uri is None:
            raise ValueError(f"{sim.full_name}: policy_agents_pct < 1 needs npc_policy_uri")
        npc = PolicyHandle.from_uri(sim.npc_policy_uri, device)
    n_candidate = math.floor(agents * sim.policy_agents_pct) if npc else agents
    num_envs = min(sim.num_episodes, max_envs)
    quota = [sim.num_episodes // num_envs + (e < sim.num_episodes % num_envs) for e in range(num_envs)]
    base = MettaGridTorchEnv(cfg, num_envs=num_envs, seed=seed, replay_dir=replay_dir)
    members = [(candidate.policy, n_candidate)]
    policies = [(candidate.key, candidate.version)] * n_candidate
    if npc is not None:
        members.append((npc.policy, agents - n_candidate))
        policies += [(npc.key, npc.version)] * (agents - n_candidate)
    record = SimulationRecord(
        uuid.uuid4().hex, sim.suite, sim.name, candidate.key, candidate.version, datetime.now(), datetime.now()
    )
    attributes = flatten("config", cfg.model_dump(mode="json"), {})
    attributes.update(
        {
            "seed": str(seed),
            "map_w": str(base.vec.map_width),
            "map_h": str(base.vec.map_height),
            "max_steps": str(cfg.game.max_steps),
        }
    )
    started = datetime.now()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        episodes = play_episodes(base, members, quota, device=device, max_seconds=sim.max_time_s)
    record.episodes = [_episode(episode, record.id, started, {**attributes}, policies) for episode in episodes]
    record.finished_at = datetime.now()
    return record


RECORD_NAMESPACE = uuid.UUID("6f1d9a52-3c1e-4d6b-9a57-0c8f0e4c2b11")  # evaluation records are uuid5 in this


def name_records(record: SimulationRecord, identity: str) -> SimulationRecord:
    """Gives a simulation's record and its episodes ids derived from ``identity`` (what was
    played: policies, simulation config, seed), so playing the same evaluation again (a rerun
    after a kill, a retried job) writes the same rows, which the stats DB keeps once."""
    record.id = uuid.uuid5(RECORD_NAMESPACE, identity).hex
    for k, episode in enumerate(record.episodes):
        episode.id = uuid.uuid5(RECORD_NAMESPACE, f"{identity}|episode {k}").hex
        episode.simulation_id = record.id
    return record


def evaluation_identity(candidate: PolicyHandle, sim: SimulationConfig, seed: int, *extra: object) -> str:
    """What makes two evaluations the same: the policy file, the simulation's config and the seed."""
    policy = candidate.uri or f"{candidate.key}:v{candidate.version}"
    return "|".join(map(str, (policy, sim.model_dump_json(), seed, *extra)))


def _episode(
    episode: EpisodeResult, sim_id: str, started: datetime, attributes: dict[str, str], policies: list
) -> EpisodeRecord:
    attributes["steps"] = str(episode.steps)
    return EpisodeRecord(
        id=episode.episode_id,
        simulation_id=sim_id,
        step_count=episode.steps,
        created_at=started,
        attributes=attributes,
        agent_groups=episode.agent_groups,
        agent_metrics=episode.agent_metrics(),
        agent_policies=policies,
        replay_url=episode.replay_url,
        episode_metrics=episode.cooperation(),
    )
