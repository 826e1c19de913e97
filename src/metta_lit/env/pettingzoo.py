"""MettaGrid as a PettingZoo ``ParallelEnv``, so multi-agent libraries run it without metta-lit.

One env of :class:`~metta_lit.env.vec_env.MettaGridVecEnv` behind PettingZoo's dict-per-agent
API: agents are ``agent_0`` … ``agent_{n-1}``, each observes the ``[tokens, 3]`` uint8 token
array and acts in the flat Discrete catalog. Every agent of a MettaGrid episode ends at the
same step, so after that step :attr:`agents` is empty and the caller resets. The adapter
copies observations out of the native buffers into the dicts; the zero-copy fast path is the
vectorized env itself (see ``scripts/bench_env.py`` for the cost of each interface).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from metta_lit.env.config import MettaGridConfig
from metta_lit.env.presets import env_config
from metta_lit.env.vec_env import EMPTY_TOKEN, MettaGridVecEnv, action_id


class MettaGridParallelEnv(ParallelEnv):
    """``config``: an env name (``arena``), a YAML path or a :class:`MettaGridConfig`."""

    metadata = {"name": "mettagrid_v0", "render_modes": ["ansi"], "is_parallelizable": True}

    def __init__(self, config: MettaGridConfig | str | Path, seed: int = 0, render_mode: str | None = None) -> None:
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode: 'ansi' or None, got {render_mode!r}")
        self.render_mode = render_mode
        self.vec = MettaGridVecEnv(
            config if isinstance(config, MettaGridConfig) else env_config(str(config)), seed=seed
        )
        self.possible_agents = [f"agent_{i}" for i in range(self.vec.num_agents)]
        self.agents: list[str] = []
        self._index = {agent: i for i, agent in enumerate(self.possible_agents)}
        self._was_reset = False
        tokens = self.vec.config.game.num_observation_tokens
        self._observation_space = spaces.Box(0, EMPTY_TOKEN, shape=(tokens, 3), dtype=np.uint8)
        self._action_space = spaces.Discrete(self.vec.num_actions)

    def observation_space(self, agent: str) -> spaces.Box:
        return self._observation_space

    def action_space(self, agent: str) -> spaces.Discrete:
        return self._action_space

    def _observations(self) -> dict[str, np.ndarray]:
        return {agent: self.vec.observations[0, i].copy() for i, agent in enumerate(self.possible_agents)}

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        self.vec.reset(seed=seed)
        self.agents = list(self.possible_agents)
        self._was_reset = True
        return self._observations(), {agent: {} for agent in self.agents}

    def step(self, actions: Mapping[str, int]) -> tuple[dict, dict, dict, dict, dict]:
        """``actions`` maps agent names (``agent_0`` ...) to action ids. A live agent missing
        from it takes noop (action 0), so a caller may name only the agents it controls; a name
        that is no agent of this env, or an action that is no integer, is an error (never a
        silent noop)."""
        if not self._was_reset:
            raise RuntimeError("step() before reset(): call reset() first")
        if not self.agents:
            raise RuntimeError("step() after the episode ended: call reset()")
        if not isinstance(actions, Mapping):
            raise TypeError(f"actions: expected a dict {{agent name: action id}}, got {type(actions).__name__}")
        unknown = [name for name in actions if name not in self._index]
        if unknown:
            raise ValueError(
                f"actions: no agent {unknown[0]!r} in this env (agents are {self.possible_agents[0]!r} .. "
                f"{self.possible_agents[-1]!r})"
            )
        flat = np.zeros((1, self.vec.num_agents), dtype=np.int32)
        for agent, action in actions.items():
            flat[0, self._index[agent]] = action_id(action, f"actions[{agent!r}]")
        self.vec.step(flat)
        observations = self._observations()
        rewards = {agent: float(self.vec.rewards[0, i]) for i, agent in enumerate(self.possible_agents)}
        terminations = {agent: bool(self.vec.terminals[0, i]) for i, agent in enumerate(self.possible_agents)}
        truncations = {agent: bool(self.vec.truncations[0, i]) for i, agent in enumerate(self.possible_agents)}
        infos: dict[str, dict[str, Any]] = {agent: {} for agent in self.possible_agents}
        if all(terminations[a] or truncations[a] for a in self.agents):
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def render(self) -> str | None:
        return self.vec.render_ascii(0) if self.render_mode == "ansi" else None

    def close(self) -> None:
        """Nothing to release: the native env is freed with this object."""
