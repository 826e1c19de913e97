"""Python face of the native vectorized MettaGrid.

:class:`MettaGridVecEnv` owns the numpy buffers the C++ code writes into. ``step`` returns
those same arrays (no copy): callers that keep data across steps must copy it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from metta_lit import _mettagrid as native
from metta_lit.env.config import GameConfig, MettaGridConfig
from metta_lit.env.maps import char_table
from metta_lit.env.native_config import AGENT_CELL, to_native
from metta_lit.errors import check_positive_int

EMPTY_TOKEN = 0xFF


def load_config(config: MettaGridConfig | GameConfig | str | Path) -> MettaGridConfig:
    """Accepts a config object or a YAML path."""
    if isinstance(config, MettaGridConfig):
        return config
    if isinstance(config, GameConfig):
        return MettaGridConfig(game=config)
    if isinstance(config, (str, Path)):
        return MettaGridConfig.from_yaml(config)
    raise TypeError(f"expected MettaGridConfig, GameConfig or a YAML path, got {type(config).__name__}")


def check_seed(seed: int, where: str = "seed") -> int:
    """Seeds are unsigned 64-bit integers natively; refuse others here with the field's name."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{where}: expected an integer, got {type(seed).__name__}")
    if not 0 <= int(seed) < 2**64:
        raise ValueError(f"{where}: must be in [0, 2**64), got {seed}")
    return int(seed)


class MettaGridVecEnv:
    """``num_envs`` MettaGrid envs of ``num_agents`` agents each, stepped in one native call.

    Buffers (shape ``[num_envs, num_agents, ...]``): ``observations`` uint8 ``[..., tokens, 3]``,
    ``rewards`` float32, ``terminals``/``truncations``/``action_success`` bool.

    An env whose episode ended is reset with a fresh map at the start of the next ``step``
    (that step's actions for it are ignored and it reports reward 0), unless ``reset(mask)``
    resets it first. Same config + seed give the same trajectories for any ``num_threads``.
    """

    def __init__(
        self,
        config: MettaGridConfig | GameConfig | str | Path,
        num_envs: int = 1,
        seed: int = 0,
        num_threads: int = 1,
        desync_episodes: bool = False,
    ) -> None:
        self.config = load_config(config)
        game = self.config.game
        self._native = native.VecEnv(
            to_native(game),
            check_positive_int(num_envs, "num_envs"),
            check_seed(seed),
            check_positive_int(num_threads, "num_threads"),
            desync_episodes,
        )
        shape = (num_envs, game.num_agents)
        self.observations = np.full((*shape, game.num_observation_tokens, 3), EMPTY_TOKEN, dtype=np.uint8)
        self.rewards = np.zeros(shape, dtype=np.float32)
        self.terminals = np.zeros(shape, dtype=bool)
        self.truncations = np.zeros(shape, dtype=bool)
        self.action_success = np.zeros(shape, dtype=bool)
        self._native.set_buffers(self.observations, self.rewards, self.terminals, self.truncations, self.action_success)
        self._was_reset = False  # step() refuses to run before the first reset()

    # --- sizes and catalogs --------------------------------------------------------------
    @property
    def num_envs(self) -> int:
        return self._native.num_envs

    @property
    def num_agents(self) -> int:
        return self.config.game.num_agents

    @property
    def num_threads(self) -> int:
        return self._native.num_threads

    @property
    def map_width(self) -> int:
        return self._native.map_width

    @property
    def map_height(self) -> int:
        return self._native.map_height

    @property
    def action_names(self) -> list[str]:
        """The flat Discrete action catalog, in id order."""
        return self._native.action_names

    @property
    def action_args(self) -> list[int]:
        """Each flat action's argument within its handler (move_east -> 3, attack_4 -> 4)."""
        return self._native.action_args

    @property
    def num_actions(self) -> int:
        return len(self._native.action_names)

    @property
    def resource_names(self) -> list[str]:
        return list(self.config.game.resource_names)

    @property
    def object_type_names(self) -> dict[int, str]:
        names = {0: "agent"}
        names.update({spec.type_id: name for name, spec in self.config.game.objects.items()})
        return names

    @property
    def feature_spec(self) -> dict[str, dict[str, Any]]:
        """Observation feature name -> {"id", "normalization"}; policies map ids by name."""
        return self._native.feature_spec

    @property
    def stat_names(self) -> list[str]:
        return self._native.stat_names

    # --- stepping ------------------------------------------------------------------------
    def reset(self, seed: int | None = None, mask: np.ndarray | None = None) -> np.ndarray:
        """Resets every env (or those where ``mask`` [num_envs] is True) with fresh maps.

        A ``seed`` re-seeds all envs first, so the following maps and action orders repeat.
        """
        if seed is not None:
            self.seed(seed)
        if mask is not None:
            mask = np.asarray(mask)
            if mask.dtype != bool:
                raise TypeError(f"mask: expected dtype bool, got {mask.dtype}")
            mask = np.ascontiguousarray(mask)
        self._native.reset(mask)
        self._was_reset = True
        return self.observations

    def seed(self, seed: int) -> None:
        """Re-seeds every env's map and action-order RNGs (env i derives its own from seed + i)."""
        self._native.seed(check_seed(seed))

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Steps every env with flat action ids ``[num_envs, num_agents]`` (or flattened).

        Ids outside the catalog count as invalid actions (failure and penalty), never a crash.
        """
        if not self._was_reset:
            raise RuntimeError("step() before reset(): call reset() first, it builds the first maps")
        actions = np.asarray(actions)
        if not np.issubdtype(actions.dtype, np.integer):
            raise TypeError(f"actions: expected an integer dtype, got {actions.dtype}")
        if actions.dtype != np.int32:
            info = np.iinfo(np.int32)
            actions = np.clip(actions, -1, info.max).astype(np.int32)
        self._native.step(np.ascontiguousarray(actions))
        return self.observations, self.rewards, self.terminals, self.truncations

    # --- inspection ----------------------------------------------------------------------
    def _check_env(self, env: int) -> int:
        if not 0 <= env < self.num_envs:
            raise IndexError(f"env index {env} out of range [0, {self.num_envs})")
        return env

    def current_step(self, env: int = 0) -> int:
        return self._native.current_step(self._check_env(env))

    def episode_stats(self, env: int = 0) -> dict[str, Any]:
        """This episode's stats so far: {"game": {...}, "agent": [{...} per agent]} (zeros omitted)."""
        return self._native.episode_stats(self._check_env(env))

    def episode_rewards(self, env: int = 0) -> np.ndarray:
        return self._native.episode_rewards(self._check_env(env))

    def grid_objects(self, env: int = 0) -> list[dict[str, Any]]:
        """Every object of one env (id order) with position, type, inventory and state."""
        return self._native.grid_objects(self._check_env(env))

    def map_hash(self, env: int = 0) -> int:
        return self._native.map_hash(self._check_env(env))

    def initial_map(self, env: int = 0) -> list[list[str]]:
        """Cell names of the map this episode started from ("empty", "wall", "agent.<group>", ...)."""
        codes = self._native.map_cells(self._check_env(env))
        objects, groups = list(self.config.game.objects), list(self.config.game.groups)
        w = self.map_width
        names = [
            "empty" if c == 0 else f"agent.{groups[c & 0x7FFF]}" if c & AGENT_CELL else objects[c - 1] for c in codes
        ]
        return [names[r * w : (r + 1) * w] for r in range(self.map_height)]

    def render_ascii(self, env: int = 0) -> str:
        """The current grid as characters (agents as @ or their team digit)."""
        by_name = {name: ch for ch, name in char_table(self.config.game).items() if name != "empty"}
        grid = [["." for _ in range(self.map_width)] for _ in range(self.map_height)]
        for obj in self.grid_objects(env):
            name = obj["type_name"]
            if name == "agent":
                group = self.config.game.groups[obj["group_name"]]
                ch = "@" if group.id == 0 else str(group.id)[-1]
            else:
                ch = by_name.get(name, "?")
            grid[obj["r"]][obj["c"]] = ch
        return "\n".join("".join(row) for row in grid)

    def set_inventory(self, env: int, agent: int, resource: str, amount: int) -> None:
        """Sets one agent's holding of ``resource`` (within its limits) to set up a scenario.
        It is not play: it records no ``gained``/``lost`` stat and no step rewards it."""
        self._native.set_inventory(self._check_env(env), agent, self.resource_names.index(resource), amount)
