"""MettaGrid as a PettingZoo ``ParallelEnv``, so multi-agent libraries run it without metta-lit.

One env of :class:`~metta_lit.env.vec_env.MettaGridVecEnv` behind PettingZoo's dict-per-agent
API: agents are ``agent_0`` … ``agent_{n-1}``, each observes the ``[tokens, 3]`` uint8 token
array and acts in the flat Discrete catalog. The episode ends for every agent at the same
step, so after that step :attr:`agents` is empty and the caller resets.

Agents that die (``game.death``) leave :attr:`agents` on the step they die (terminated). One
that returns comes back as a new agent, ``agent_<i>.<k>`` for its k-th return, since PettingZoo
never revives a terminated agent: :attr:`possible_agents` names every life the episode's
length allows (``max_steps`` must then be set). The adapter
copies observations out of the native buffers into the dicts; the zero-copy fast path is the
vectorized env itself (see ``scripts/bench_env.py`` for the cost of each interface).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

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
        self.possible_agents = [
            self._name(i, life) for life in range(self._lives()) for i in range(self.vec.num_agents)
        ]
        self.agents: list[str] = []
        self._life = [0] * self.vec.num_agents  # per slot: how often its agent has returned
        self._index = {agent: int(agent.split("_")[1].split(".")[0]) for agent in self.possible_agents}
        self._mortal = self.vec.config.game.death is not None  # else `agents` only empties at the end
        self._was_reset = False
        tokens = self.vec.config.game.num_observation_tokens
        self._observation_space = spaces.Box(0, EMPTY_TOKEN, shape=(tokens, 3), dtype=np.uint8)
        self._action_space = spaces.Discrete(self.vec.num_actions)

    @staticmethod
    def _name(slot: int, life: int) -> str:
        return f"agent_{slot}" if life == 0 else f"agent_{slot}.{life}"

    def _lives(self) -> int:
        """Lives an agent can have in one episode: 1, or with returns every life lasting a step
        and every absence ``respawn_delay`` steps."""
        game = self.vec.config.game
        if game.death is None or game.death.respawn_delay is None:
            return 1
        if game.max_steps == 0:
            raise ValueError("PettingZoo needs max_steps > 0 when dead agents return: it names every life up front")
        return 1 + game.max_steps // (game.death.respawn_delay + 1)

    def _live(self) -> list[str]:
        """The agents on the map now, under the names of their current lives."""
        return [self._name(i, self._life[i]) for i in np.flatnonzero(self.vec.active[0]).tolist()]

    def observation_space(self, agent: str) -> spaces.Box:
        return self._observation_space

    def action_space(self, agent: str) -> spaces.Discrete:
        return self._action_space

    def _observations(self, agents: list[str]) -> dict[str, np.ndarray]:
        return {agent: self.vec.observations[0, self._index[agent]].copy() for agent in agents}

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        self.vec.reset(seed=seed)
        self._life = [0] * self.vec.num_agents
        self.agents = self._live()
        self._was_reset = True
        return self._observations(self.agents), {agent: {} for agent in self.agents}

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
        live = set(self.agents)
        unknown = [name for name in actions if name not in live]
        if unknown:
            live = f"{len(self.agents)} live agents: {self.agents[0]!r} .. {self.agents[-1]!r}"
            raise ValueError(f"actions: no live agent {unknown[0]!r} in this env ({live})")
        flat = np.zeros((1, self.vec.num_agents), dtype=np.int32)
        for agent, action in actions.items():
            flat[0, self._index[agent]] = action_id(action, f"actions[{agent!r}]")
        acted = self.agents
        self.vec.step(flat)
        slot = [self._index[agent] for agent in acted]
        reward, terminal, truncated = (
            a[0].tolist() for a in (self.vec.rewards, self.vec.terminals, self.vec.truncations)
        )
        rewards = {agent: reward[i] for agent, i in zip(acted, slot, strict=True)}
        terminations = {agent: terminal[i] for agent, i in zip(acted, slot, strict=True)}
        truncations = {agent: truncated[i] for agent, i in zip(acted, slot, strict=True)}
        done = self.vec.done(0)
        if done or not self._mortal:
            self.agents = [] if done else acted
            return self._observations(acted), rewards, terminations, truncations, {agent: {} for agent in acted}
        # A slot whose agent came back at this step starts its next life under a new name.
        for i in np.flatnonzero(self.vec.truncations[0] & self.vec.active[0]).tolist():
            self._life[i] += 1
        self.agents = self._live()
        returned = [agent for agent in self.agents if agent not in rewards]
        for agent in returned:
            rewards[agent], terminations[agent], truncations[agent] = 0.0, False, False
        observations = self._observations([*acted, *returned])
        return observations, rewards, terminations, truncations, {agent: {} for agent in observations}

    def render(self) -> str | None:
        return self.vec.render_ascii(0) if self.render_mode == "ansi" else None

    def close(self) -> None:
        """Nothing to release: the native env is freed with this object."""
