"""Runs simulations: policies act in vectorized native envs until every episode is done."""

from __future__ import annotations

import json
import math
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import torch

from metta_lit.checkpoints import CheckpointManager
from metta_lit.checkpoints.uri import RANDOM_URI
from metta_lit.env import MettaGridVecEnv
from metta_lit.policy import Policy
from metta_lit.sim.config import SimulationConfig
from metta_lit.sim.replay import EpisodeReplays
from metta_lit.sim.stats_db import EpisodeRecord, SimulationRecord


@dataclass
class PolicyHandle:
    """A policy and the key/version it is recorded under; ``policy=None`` acts uniformly at random."""

    policy: Policy | None
    key: str
    version: int

    @classmethod
    def from_uri(cls, uri: str, device: str | torch.device = "cpu") -> PolicyHandle:
        if uri == RANDOM_URI:
            return cls(None, RANDOM_URI, 0)
        policy, key, _ = CheckpointManager.load_from_uri(uri, device)
        return cls(policy.eval(), key.run, key.version)

    def act(self, obs: np.ndarray, done: np.ndarray, rng: np.random.Generator, num_actions: int) -> np.ndarray:
        """Actions for ``obs`` [E, n, tokens, 3]; ``done`` [E, n] resets those agents' memory."""
        shape = obs.shape[:2]
        if self.policy is None:
            return rng.integers(0, num_actions, size=shape)
        flat = torch.from_numpy(np.ascontiguousarray(obs).reshape(-1, *obs.shape[2:]))
        actions, _ = self.policy.act(flat, done=torch.from_numpy(done.reshape(-1)))
        return actions.cpu().numpy().reshape(shape)


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
) -> SimulationRecord:
    """Runs ``sim.num_episodes`` episodes (spread over up to ``max_envs`` envs) and records them.

    The first ``floor(agents * policy_agents_pct)`` agents of each env are the candidate's,
    the others the NPC's (``npc``, or ``sim.npc_policy_uri``).
    """
    cfg = sim.env_config()
    agents = cfg.game.num_agents
    if sim.policy_agents_pct < 1.0 and npc is None:
        if sim.npc_policy_uri is None:
            raise ValueError(f"{sim.full_name}: policy_agents_pct < 1 needs npc_policy_uri")
        npc = PolicyHandle.from_uri(sim.npc_policy_uri)
    n_candidate = math.floor(agents * sim.policy_agents_pct) if npc else agents
    num_envs = min(sim.num_episodes, max_envs)
    quota = [sim.num_episodes // num_envs + (e < sim.num_episodes % num_envs) for e in range(num_envs)]
    env = MettaGridVecEnv(cfg, num_envs=num_envs, seed=seed)
    for handle in (candidate, npc):
        if handle is not None and handle.policy is not None:
            handle.policy.initialize_to_environment(env.feature_spec, env.action_names)
            handle.policy.reset_memory()
    obs = env.reset()
    record = SimulationRecord(
        uuid.uuid4().hex, sim.suite, sim.name, candidate.key, candidate.version, datetime.now(), datetime.now()
    )
    replays = EpisodeReplays(env, replay_dir) if replay_dir else None
    if replays:
        replays.reset(range(num_envs))
    policies = [(candidate.key, candidate.version)] * n_candidate
    if npc is not None:
        policies += [(npc.key, npc.version)] * (agents - n_candidate)
    rng = np.random.default_rng(seed)
    done = np.zeros((num_envs, agents), dtype=bool)
    finished, started = [0] * num_envs, datetime.now()
    deadline = time.monotonic() + sim.max_time_s
    with torch.no_grad():
        while any(f < q for f, q in zip(finished, quota, strict=True)) and time.monotonic() < deadline:
            actions = np.empty((num_envs, agents), dtype=np.int32)
            actions[:, :n_candidate] = candidate.act(obs[:, :n_candidate], done[:, :n_candidate], rng, env.num_actions)
            if npc is not None and n_candidate < agents:
                actions[:, n_candidate:] = npc.act(obs[:, n_candidate:], done[:, n_candidate:], rng, env.num_actions)
            env.step(actions)
            if replays:
                replays.step(actions)
            ended = (env.terminals | env.truncations).all(1)
            for e in np.flatnonzero(ended):
                if finished[e] >= quota[e]:
                    continue
                finished[e] += 1
                episode_id = uuid.uuid4().hex
                replay_url = replays.finish(int(e), episode_id) if replays else None
                record.episodes.append(
                    _episode(env, int(e), episode_id, record.id, started, seed, policies, replay_url)
                )
            done = np.repeat(ended[:, None], agents, axis=1)
            if ended.any():
                env.reset(mask=ended)
                if replays:
                    replays.reset(np.flatnonzero(ended))
    record.finished_at = datetime.now()
    return record


def _episode(
    env: MettaGridVecEnv,
    e: int,
    episode_id: str,
    sim_id: str,
    started: datetime,
    seed: int,
    policies: list,
    replay_url: str | None,
) -> EpisodeRecord:
    stats = env.episode_stats(e)
    rewards = env.episode_rewards(e)
    groups = {o["agent_id"]: o["group_id"] for o in env.grid_objects(e) if o["type_name"] == "agent"}
    attributes = flatten("config", env.config.model_dump(mode="json"), {})
    attributes.update(
        {
            "seed": str(seed),
            "map_w": str(env.map_width),
            "map_h": str(env.map_height),
            "steps": str(env.current_step(e)),
            "max_steps": str(env.config.game.max_steps),
        }
    )
    return EpisodeRecord(
        id=episode_id,
        simulation_id=sim_id,
        step_count=env.current_step(e),
        created_at=started,
        attributes=attributes,
        agent_groups=[groups[a] for a in range(env.num_agents)],
        agent_metrics=[{"reward": float(rewards[a]), **stats["agent"][a]} for a in range(env.num_agents)],
        agent_policies=policies,
        replay_url=replay_url,
    )
