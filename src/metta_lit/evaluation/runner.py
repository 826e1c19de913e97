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
from metta_lit.checkpoints.uri import RANDOM_URI, SCRIPTED_URI
from metta_lit.env import MettaGridConfig
from metta_lit.evaluation.config import SimulationConfig, Split
from metta_lit.evaluation.records import EpisodeRecord, Pairing, SimulationRecord
from metta_lit.policy import Policy, RandomPolicy, ScriptedPolicy
from metta_lit.rl.acting import play_episodes
from metta_lit.rl.torch_env import EpisodeResult, MettaGridTorchEnv


@dataclass
class PolicyHandle:
    """A policy and the key/version its episodes are recorded under."""

    policy: Policy | None  # None: the scripted agent, built for each env it plays (it reads the env's recipes)
    key: str
    version: int
    uri: str = ""  # the resolved URI it was loaded from ('' when built in code)

    @classmethod
    def from_uri(cls, uri: str, device: str | torch.device = "cpu") -> PolicyHandle:
        """The policy a URI designates, ``random`` (adopts the catalog of the env it acts in) or
        ``scripted``."""
        if uri == RANDOM_URI:
            return cls(RandomPolicy({}, []), RANDOM_URI, 0, RANDOM_URI)
        if uri == SCRIPTED_URI:
            return cls(None, SCRIPTED_URI, 0, SCRIPTED_URI)
        policy, key, _ = CheckpointManager.load_from_uri(uri, device)
        return cls(policy.eval(), key.run, key.version, uri)

    @property
    def label(self) -> str:
        return f"{self.key}:v{self.version}"

    def for_env(self, env: MettaGridTorchEnv, config: MettaGridConfig, seed: int) -> Policy:
        """The policy that acts in ``env`` (which plays ``config``)."""
        if self.policy is not None:
            return self.policy
        return ScriptedPolicy.for_env(config, env.feature_spec, env.action_names, seed)


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
    split: Split | None = None,
) -> SimulationRecord:
    """Runs ``sim.num_episodes`` episodes (spread over up to ``max_envs`` envs) and records them.

    The first ``floor(agents * policy_agents_pct)`` agents of each env are the candidate's,
    the others the NPC's (``npc``, or ``sim.npc_policy_uri``). With a cross-play ``split`` the
    candidate and ``npc`` (its partner) share the agents as the split says, and every episode
    records the pairing. Actions are sampled from a torch RNG seeded with ``seed``, so a
    simulation repeats exactly, and episode ``k`` of env ``e`` (its ``slot``) starts from the
    same map whoever plays it.
    """
    cfg = sim.env_config()
    agents = cfg.game.num_agents
    if split is not None and npc is None:
        raise ValueError(f"{sim.full_name}: a cross-play split needs a partner policy")
    if sim.policy_agents_pct < 1.0 and npc is None:
        if sim.npc_policy_uri is None:
            raise ValueError(f"{sim.full_name}: policy_agents_pct < 1 needs npc_policy_uri")
        npc = PolicyHandle.from_uri(sim.npc_policy_uri, device)
    if split is not None:
        n_candidate = split.counts(agents, sim.full_name)[0]
    else:
        n_candidate = math.floor(agents * sim.policy_agents_pct) if npc else agents
    num_envs = min(sim.num_episodes, max_envs)
    quota = [sim.num_episodes // num_envs + (e < sim.num_episodes % num_envs) for e in range(num_envs)]
    base = MettaGridTorchEnv(cfg, num_envs=num_envs, seed=seed, replay_dir=replay_dir)
    members = [(candidate.for_env(base, cfg, seed), n_candidate)]
    policies = [(candidate.key, candidate.version)] * n_candidate
    pairing = None
    if npc is not None:
        members.append((npc.for_env(base, cfg, seed + 1), agents - n_candidate))
        policies += [(npc.key, npc.version)] * (agents - n_candidate)
        if split is not None:
            pairing = Pairing(split.name, candidate.key, candidate.version, n_candidate, npc.key, npc.version)
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
    slots = [0] * num_envs
    record.episodes = []
    for episode in episodes:  # in the order they ended; an env's own episodes in its order
        slot = f"{episode.env}.{slots[episode.env]}"
        slots[episode.env] += 1
        record.episodes.append(_episode(episode, record.id, started, {**attributes, "slot": slot}, policies, pairing))
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
    episode: EpisodeResult,
    sim_id: str,
    started: datetime,
    attributes: dict[str, str],
    policies: list,
    pairing: Pairing | None,
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
        pairing=pairing,
    )
