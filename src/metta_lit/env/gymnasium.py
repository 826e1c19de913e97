"""A one-agent MettaGrid config as a Gymnasium ``Env`` (single-agent libraries, ``check_env``).

Observations are the agent's ``[tokens, 3]`` uint8 token array, actions the flat Discrete
catalog. A config with more than one agent is refused (use the PettingZoo env).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from metta_lit.core.errors import ConfigError
from metta_lit.env.config import MettaGridConfig
from metta_lit.env.presets import env_config
from metta_lit.env.vec_env import EMPTY_TOKEN, MettaGridVecEnv, action_id


class MettaGridGymEnv(gym.Env):
    """``config``: an env name, a YAML path or a :class:`MettaGridConfig` with one agent."""

    metadata = {"render_modes": ["ansi"]}

    def __init__(self, config: MettaGridConfig | str | Path, render_mode: str | None = None) -> None:
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode: 'ansi' or None, got {render_mode!r}")
        self.render_mode = render_mode
        self.vec = MettaGridVecEnv(config if isinstance(config, MettaGridConfig) else env_config(str(config)))
        if self.vec.num_agents != 1:
            raise ConfigError(
                f"MettaGridGymEnv: the env {self.vec.config.label!r} has {self.vec.num_agents} agents; a Gymnasium "
                "env has one (use metta_lit.env.pettingzoo.MettaGridParallelEnv for several)"
            )
        tokens = self.vec.config.game.num_observation_tokens
        self.observation_space = spaces.Box(0, EMPTY_TOKEN, shape=(tokens, 3), dtype=np.uint8)
        self.action_space = spaces.Discrete(self.vec.num_actions)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self.vec.reset(seed=seed)
        return self.vec.observations[0, 0].copy(), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        self.vec.step(np.array([[action_id(action, "action")]], dtype=np.int32))
        return (
            self.vec.observations[0, 0].copy(),
            float(self.vec.rewards[0, 0]),
            bool(self.vec.terminals[0, 0]),
            bool(self.vec.truncations[0, 0]),
            {},
        )

    def render(self) -> str | None:
        return self.vec.render_ascii(0) if self.render_mode == "ansi" else None
