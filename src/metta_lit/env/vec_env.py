"""Python face of the native vectorized MettaGrid.

:class:`MettaGridVecEnv` owns the numpy buffers the C++ code writes into. ``step`` returns
those same arrays (no copy): callers that keep data across steps must copy it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from metta_lit import _mettagrid as native
from metta_lit.core.errors import ConfigError, check_positive_int
from metta_lit.env.config import GameConfig, MettaGridConfig
from metta_lit.env.maps import char_table
from metta_lit.env.native_config import AGENT_CELL, to_native

EMPTY_TOKEN = 0xFF
DIRECTION_NAMES: list[str] = native.direction_names  # by orientation id; defined once, natively


@dataclass(frozen=True)
class GridObjects:
    """Every object of one env as typed records, as the native env hands them over.

    ``records`` is a numpy structured array (one ``ObjectRecord`` per object, id order: ``id``,
    ``type_id``, ``r``, ``c``, ``layer``, ``object_index``, ``agent_id``, ``group``,
    ``orientation``, ``is_frozen``, ``freeze_remaining``, ``color``, ``glyph``,
    ``last_action``, ``episode_reward``, ``converter``, ``is_converting``, ...; fields that do
    not apply to an object are -1 / False / 0); ``inventory`` holds ``[objects, resources]``
    counts. Names come from the env's catalogs (:meth:`MettaGridVecEnv.grid_objects` builds
    the dict view).
    """

    records: np.ndarray
    inventory: np.ndarray

    @property
    def agents(self) -> np.ndarray:
        """Positions of the agent records, ordered by agent id."""
        rows = np.flatnonzero(self.records["agent_id"] >= 0)
        return rows[np.argsort(self.records["agent_id"][rows])]


@dataclass(frozen=True)
class EpisodeStats:
    """One episode's stats so far as arrays over :attr:`MettaGridVecEnv.stat_names`."""

    agent: np.ndarray  # float32 [agents, stats]
    game: np.ndarray  # float32 [stats]


@dataclass(frozen=True)
class EnvTask:
    """A variant of a batch's config (a curriculum task) compiled for that batch's envs:
    made by :meth:`MettaGridVecEnv.compile_task`, played by an env after ``assign_task``."""

    name: str
    config: MettaGridConfig
    native: Any  # the compiled rules (opaque)


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
        raise ConfigError(f"{where}: must be in [0, 2**64), got {seed}")
    return int(seed)


def action_id(value: Any, where: str) -> int:
    """One agent's action as an int: a Python or numpy integer (or a 0-d integer array), as a
    Discrete space samples it. Anything else is a TypeError naming ``where`` and what was
    given, not a silent noop or numpy's conversion error."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        shape = f" of shape {value.shape}" if isinstance(value, np.ndarray) else ""
        raise TypeError(f"{where}: expected an integer action id, got {type(value).__name__}{shape} {value!r:.40}")
    return max(-1, min(int(value), 2**31 - 1))  # out of the catalog: an invalid action, as in step()


class MettaGridVecEnv:
    """``num_envs`` MettaGrid envs of ``num_agents`` agent slots each, stepped in one native call.

    Buffers (shape ``[num_envs, num_agents, ...]``): ``observations`` uint8 ``[..., tokens, 3]``,
    ``rewards`` float32, ``terminals``/``truncations``/``action_success``/``active`` bool.

    ``num_agents`` is the game's ``max_agents`` when set (else its ``num_agents``): an env may
    play a task that places fewer agents (:meth:`compile_task`), and agents may die
    (``game.death``). A slot no placed, living agent plays reads as padding, gets reward 0,
    its actions are ignored, and ``active`` is False for it; a death is that agent's terminal
    flag and its return a truncation flag (its trajectory restarts).

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
        native_game = to_native(game)
        self._native = native.VecEnv(
            native_game,
            check_positive_int(num_envs, "num_envs"),
            check_seed(seed),
            check_positive_int(num_threads, "num_threads"),
            desync_episodes,
        )
        shape = (num_envs, game.agent_slots)
        self.observations = np.full((*shape, game.num_observation_tokens, 3), EMPTY_TOKEN, dtype=np.uint8)
        self.rewards = np.zeros(shape, dtype=np.float32)
        self.terminals = np.zeros(shape, dtype=bool)
        self.truncations = np.zeros(shape, dtype=bool)
        self.action_success = np.zeros(shape, dtype=bool)
        self.active = np.zeros(shape, dtype=bool)
        self._native.set_buffers(
            self.observations, self.rewards, self.terminals, self.truncations, self.action_success, self.active
        )
        self._was_reset = False  # step() refuses to run before the first reset()
        # Catalogs that turn the ids of typed records into names: group and object (config)
        # indices, and each object's recipe ({resource: amount} in, out) by object index.
        self.group_names = list(game.groups)
        self.object_names = list(game.objects)
        self.recipes = [
            tuple({i: q for i, q in enumerate(amounts) if q} for amounts in (o.input_resources, o.output_resources))
            for o in native_game.objects
        ]

    # --- sizes and catalogs --------------------------------------------------------------
    @property
    def num_envs(self) -> int:
        return self._native.num_envs

    @property
    def num_agents(self) -> int:
        """Agent slots per env (the buffers' second dimension)."""
        return self.config.game.agent_slots

    @property
    def num_threads(self) -> int:
        return self._native.num_threads

    @property
    def map_width(self) -> int:
        """The batch's map width (the largest a task may play)."""
        return self._native.map_width

    @property
    def map_height(self) -> int:
        return self._native.map_height

    def map_size(self, env: int = 0) -> tuple[int, int]:
        """(width, height) of the map env ``env`` plays now (a task's may be smaller)."""
        return tuple(self._native.map_size(self._check_env(env)))

    def placed(self, env: int = 0) -> int:
        """The agents env ``env``'s episode placed: slots ``0..placed-1`` (the rest are inactive)."""
        return self._native.placed(self._check_env(env))

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

    @property
    def stat_keys(self) -> list[tuple[str, str, str]]:
        """Per stat id its typed key ``(kind, a, b)`` (e.g. ``("shared", "heart", "")``,
        ``("hit", "red", "blue")``): what code selects stats by, instead of parsing names."""
        return self._native.stat_keys

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

    def compile_task(self, config: MettaGridConfig | GameConfig, name: str = "") -> EnvTask:
        """Compiles a variant of this batch's config once, for any env to play (a curriculum
        task). It may change rewards, costs, limits, initial inventories and map contents, and
        place fewer agents than the batch's slots on a map up to the batch's size; not what
        the policy sees (window, resources, stats, actions, features): such a change, or more
        agents or a larger map, is a ConfigError naming it."""
        config = load_config(config)
        try:
            compiled = self._native.compile_task(to_native(config.game))
        except ValueError as e:
            raise ConfigError(f"task {name or config.label!r}: {e}") from None
        return EnvTask(name or config.label, config, compiled)

    def assign_task(self, env: int, task: EnvTask) -> None:
        """Env ``env`` plays ``task`` from its next reset (the episode under way, if any,
        finishes under the rules it started with)."""
        self._native.assign_task(self._check_env(env), task.native)

    def save_state(self, env: int) -> bytes:
        """Env ``env``'s whole state: its episode, random streams and last outputs (what a
        resumed training run needs to continue exactly; valid for this build and config only)."""
        return self._native.save_state(self._check_env(env))

    def load_state(self, env: int, state: bytes, task: EnvTask | None = None) -> None:
        """Restores a :meth:`save_state` into env ``env``, playing ``task`` (None: this batch's
        own config), and rewrites its slice of the buffers. A state saved by another build or
        for another game is a ValueError that changes nothing."""
        if not isinstance(state, bytes):
            raise TypeError(f"state: expected bytes, got {type(state).__name__}")
        self._native.load_state(self._check_env(env), task.native if task else None, state)
        self._was_reset = True

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

    def done(self, env: int = 0) -> bool:
        """Whether env ``env``'s episode has ended (it starts a new one at its next step or reset)."""
        return self._native.done(self._check_env(env))

    def episode_stat_arrays(self, env: int = 0) -> EpisodeStats:
        """This episode's stats so far, typed: per agent and game, over :attr:`stat_names`."""
        return EpisodeStats(*self._native.episode_stats(self._check_env(env)))

    def episode_stats(self, env: int = 0) -> dict[str, Any]:
        """This episode's stats so far: {"game": {...}, "agent": [{...} per agent]} (zeros omitted)."""
        stats, names = self.episode_stat_arrays(env), self.stat_names

        def named(values: np.ndarray) -> dict[str, float]:
            return {names[s]: float(values[s]) for s in np.flatnonzero(values)}

        return {"game": named(stats.game), "agent": [named(row) for row in stats.agent]}

    def episode_rewards(self, env: int = 0) -> np.ndarray:
        return self._native.episode_rewards(self._check_env(env))

    def grid_object_records(self, env: int = 0) -> GridObjects:
        """Every object of one env (id order) as typed records (see :class:`GridObjects`)."""
        return GridObjects(*self._native.grid_objects(self._check_env(env)))

    def grid_objects(self, env: int = 0) -> list[dict[str, Any]]:
        """Every object of one env (id order) as dicts: position, type and names, inventory
        ``{resource_id: count}`` and, by kind, agent or converter state."""
        objects = self.grid_object_records(env)
        return [self._object_dict(row, counts) for row, counts in zip(objects.records, objects.inventory, strict=True)]

    def _object_dict(self, row: np.void, counts: np.ndarray) -> dict[str, Any]:
        game = self.config.game
        d: dict[str, Any] = {
            "id": int(row["id"]),
            "r": int(row["r"]),
            "c": int(row["c"]),
            "layer": int(row["layer"]),
            "type_id": int(row["type_id"]),
            "is_swappable": bool(row["is_swappable"]),
            "inventory": {int(i): int(counts[i]) for i in np.flatnonzero(counts)},
        }
        if row["agent_id"] >= 0:
            group_name = self.group_names[row["group"]]
            d.update(
                type_name="agent",
                agent_id=int(row["agent_id"]),
                group_id=game.groups[group_name].id,
                group_name=group_name,
                orientation=int(row["orientation"]),
                orientation_name=DIRECTION_NAMES[row["orientation"]],
                is_frozen=bool(row["is_frozen"]),
                freeze_remaining=int(row["freeze_remaining"]),
                freeze_duration=int(row["freeze_duration"]),
                color=int(row["color"]),
                glyph=int(row["glyph"]),
                last_action=int(row["last_action"]),
                episode_reward=float(row["episode_reward"]),
                is_dead=bool(row["is_dead"]),
            )
            return d
        index = int(row["object_index"])
        d["type_name"] = self.object_names[index]
        if row["converter"] >= 0:
            d.update(
                color=int(row["color"]),
                is_converting=bool(row["is_converting"]),
                is_cooling_down=bool(row["is_cooling_down"]),
                conversions_completed=int(row["conversions_completed"]),
                conversion_duration=int(row["conversion_duration"]),
                cooldown_duration=int(row["cooldown_duration"]),
                output_limit=int(row["output_limit"]),
                input_resources=dict(self.recipes[index][0]),
                output_resources=dict(self.recipes[index][1]),
            )
        elif game.objects[d["type_name"]].type == "assembler":
            d.update(
                color=int(row["color"]),
                cooldown_remaining=int(row["cooldown_remaining"]),
                cooldown_duration=int(row["cooldown_duration"]),
                uses_count=int(row["conversions_completed"]),
                is_clipped=bool(row["is_clipped"]),
            )
        return d

    def episode_seed(self, env: int = 0) -> int:
        """The seed of this episode's step generator (action order, fractional losses): with
        the episode's map, config and actions it replays the episode exactly."""
        return self._native.episode_seed(self._check_env(env))

    def set_episode_seed(self, env: int, seed: int) -> None:
        """Restarts env ``env``'s step generator from ``seed`` (call right after its reset)."""
        if not 0 <= seed < 2**32:
            raise ValueError(f"episode seed: expected 0 <= seed < 2**32, got {seed}")
        self._native.set_episode_seed(self._check_env(env), seed)

    def map_hash(self, env: int = 0) -> int:
        return self._native.map_hash(self._check_env(env))

    def initial_map(self, env: int = 0) -> list[list[str]]:
        """Cell names of the map this episode started from ("empty", "wall", "agent.<group>", ...)."""
        codes = self._native.map_cells(self._check_env(env))
        objects, groups = list(self.config.game.objects), list(self.config.game.groups)
        w, h = self.map_size(env)
        names = [
            "empty" if c == 0 else f"agent.{groups[c & 0x7FFF]}" if c & AGENT_CELL else objects[c - 1]
            for c in codes[: w * h]
        ]
        return [names[r * w : (r + 1) * w] for r in range(h)]

    def render_ascii(self, env: int = 0) -> str:
        """The current grid as characters (agents as @ or their team digit)."""
        by_name = {name: ch for ch, name in char_table(self.config.game).items() if name != "empty"}
        width, height = self.map_size(env)
        grid = [["." for _ in range(width)] for _ in range(height)]
        for obj in self.grid_objects(env):
            name = obj["type_name"]
            if name == "agent" and obj["is_dead"]:
                continue
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
