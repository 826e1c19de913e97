"""Episode replays: ``<episode_id>.json.z`` = zlib-compressed UTF-8 JSON, version 2 (spec 8).

``{version: 2, action_names, item_names, vibe_names, type_names, map_size: [w, h], num_agents,
max_steps (= steps recorded), mg_config, objects: [...]}`` (``vibe_names``: the names of the
values an agent's ``glyph`` field takes; empty in envs without vibes and in older replays). Every object field is either a
constant or a change list ``[[step, value], ...]`` that gets an entry only when the value
changes; step 0 is the state after reset.

What makes a replay verifiable (:mod:`metta_lit.env.verify`) rides beside: ``episode_seed``
(the episode's step generator), ``map`` (``{legend: {char: cell name}, rows: [...]}``, the map
it started from) and ``actions`` (every agent's action id, one list per step). Replays written
before these fields existed still load; they just cannot be verified.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    StringConstraints,
    ValidationError,
    model_validator,
)

from metta_lit.core.errors import MettaLitError, validation_message
from metta_lit.core.files import atomic_write, normalize_uri, read_bytes
from metta_lit.env.config import AssemblerRecipe, Protocol

if TYPE_CHECKING:
    from metta_lit.env import MettaGridConfig, MettaGridVecEnv

MAX_REPLAY_BYTES = 32 << 20  # compressed file and inflated JSON alike
# What a replay may hold, checked on the inflated text before json builds anything: a full
# 1000-step arena replay (24 agents, 62x62) inflates to 0.8 MB with 75k lists and 156k
# values, so these leave room for replays ~10x longer or larger while bounding what parsing
# allocates (~150 MB at worst: a tiny zlib stream of "{},{},..." would otherwise become
# gigabytes of dicts).
MAX_CONTAINERS = 1_000_000  # JSON lists + objects
MAX_VALUES = 2_000_000  # commas: elements of all lists and objects
MAX_STRING = 4096  # characters in one name (action, item, type, field)


class ReplayError(MettaLitError):
    """A replay file that cannot be used; the message names the file and the problem."""


# Record columns copied into the replay under the same name, for the objects each applies to.
COMMON_COLUMNS = ("color", "is_swappable")
AGENT_COLUMNS = {"total_reward": "episode_reward", "freeze_remaining": "freeze_remaining", "is_frozen": "is_frozen"}
AGENT_COLUMNS |= {"freeze_duration": "freeze_duration", "glyph": "glyph"}
LIFE_COLUMNS = ("is_dead",)  # agents of games where they die (game.death)
CONVERTER_COLUMNS = ("output_limit", "is_converting", "conversion_duration", "is_cooling_down", "cooldown_duration")
# An assembler's state: its cooldown (which grows with exhaustion) and how often it was used.
ASSEMBLER_COLUMNS = {
    "cooldown_remaining": "cooldown_remaining",
    "cooldown_duration": "cooldown_duration",
    "is_cooling_down": "is_cooling_down",
    "uses_count": "conversions_completed",
    "is_clipped": "is_clipped",
}


class ReplayRecorder:
    """Records one env of a :class:`MettaGridVecEnv` from reset to the end of its episode.

    Each step compares whole columns of the typed object records with the previous step's
    (numpy) and appends ``[step, value]`` only where a value changed: an arena episode has
    ~1,500 objects, almost all walls that never change, so a per-object Python loop cost
    13 ms a step (a 1000-step replay: 13 s) for a few dozen changes.
    """

    def __init__(self, env: MettaGridVecEnv, index: int, config: MettaGridConfig | None = None) -> None:
        self.env, self.index = env, index
        self.config = config or env.config  # what the episode plays (a curriculum task's own config)
        self.episode_seed = env.episode_seed(index)
        self.map = map_legend(env.initial_map(index))
        self.actions: list[list[int]] = []
        self.series: dict[int, dict[str, list[list[Any]]]] = {}
        self.steps = 0
        self._params = np.asarray(env.action_args)
        game = env.config.game
        self._limit = [game.group_agent_config(name).default_resource_limit for name in env.group_names]
        self._group_ids = [game.groups[name].id for name in env.group_names]
        self._recipes = [[sorted(map(list, side.items())) for side in recipe] for recipe in env.recipes]
        specs = list(self.config.game.objects.values())
        self._assembler_recipes = {
            index: (
                spec.max_uses,
                [_recipe(r, self.config.game.resource_names) for r in spec.native_recipes()],
            )
            for index, spec in enumerate(specs)
            if spec.type == "assembler"
        }
        self._is_assembler = np.array([spec.type == "assembler" for spec in specs] or [False])
        self._life_columns = LIFE_COLUMNS if self.config.game.death is not None else ()
        self._ids: np.ndarray | None = None
        self._previous: dict[str, np.ndarray] = {}

    def _constants(self, records: np.ndarray, rows: np.ndarray) -> None:
        """The fields of newly seen objects that never change (recorded at their first step)."""
        step = self.env.current_step(self.index)
        for k in rows.tolist():
            row = records[k]
            agent, index = int(row["agent_id"]), int(row["object_index"])
            fields: dict[str, Any] = {
                "id": int(row["id"]),
                "type_name": "agent" if agent >= 0 else self.env.object_names[index],
            }
            if agent >= 0:
                group = int(row["group"])
                fields |= {
                    "agent_id": agent,
                    "group_id": self._group_ids[group],
                    "vision_size": self.env.config.game.obs_width,
                    "inventory_max": self._limit[group],
                }
            elif row["converter"] >= 0:
                fields["input_resources"], fields["output_resources"] = self._recipes[index]
            elif index in self._assembler_recipes:
                fields["max_uses"], fields["recipes"] = self._assembler_recipes[index]
            self.series[fields["id"]] = {key: [[step, value]] for key, value in fields.items()}

    def _columns(self, records: np.ndarray, inventory: np.ndarray, actions: np.ndarray | None) -> dict[str, tuple]:
        """Every changing field as (values per object, mask of the objects it applies to)."""
        n = len(records)
        everyone, agents, converters = np.ones(n, bool), records["agent_id"] >= 0, records["converter"] >= 0
        assemblers = (records["object_index"] >= 0) & self._is_assembler[np.maximum(records["object_index"], 0)]
        out: dict[str, tuple] = {
            "location": (np.stack([records["c"], records["r"], records["layer"]], 1), everyone),
            "orientation": (np.maximum(records["orientation"], 0), everyone),
            "inventory": (inventory, everyone),
        }
        out |= {name: (records[name], everyone) for name in COMMON_COLUMNS}
        agent_ids = np.where(agents, records["agent_id"], 0)
        if actions is None:  # after reset: no action yet
            action = np.zeros(n, np.int64)
            success, reward = np.zeros(n, bool), np.zeros(n, np.float32)
        else:
            action = np.asarray(actions, np.int64)[agent_ids]
            success = self.env.action_success[self.index][agent_ids]
            reward = self.env.rewards[self.index][agent_ids]
        valid = (action >= 0) & (action < len(self._params))
        out |= {
            "action_id": (action, agents),
            "action_param": (np.where(valid, self._params[np.clip(action, 0, len(self._params) - 1)], 0), agents),
            "action_success": (success, agents),
            "current_reward": (reward, agents),
        }
        out |= {name: (records[column], agents) for name, column in AGENT_COLUMNS.items()}
        out |= {name: (records[name], agents) for name in self._life_columns}
        out |= {name: (records[name], converters) for name in CONVERTER_COLUMNS}
        out |= {name: (records[column], assemblers) for name, column in ASSEMBLER_COLUMNS.items()}
        return out

    def record(self, actions: np.ndarray | None = None) -> None:
        """Call after reset (``actions=None``) and after every step with that step's actions."""
        step = self.env.current_step(self.index)
        self.steps = step
        if actions is not None:
            self.actions.append(np.asarray(actions).tolist())
        objects = self.env.grid_object_records(self.index)
        records, ids = objects.records, objects.records["id"]
        if self._ids is None or not np.array_equal(ids, self._ids):
            seen = np.isin(ids, self._ids) if self._ids is not None else np.zeros(len(ids), bool)
            self._constants(records, np.flatnonzero(~seen))
            self._previous = self._aligned(ids)  # objects came or went: compare by id
            self._ids = ids.copy()
        for name, (values, applies) in self._columns(records, objects.inventory, actions).items():
            previous = self._previous.get(name)
            changed = applies.copy()
            if previous is not None:
                differs = values != previous
                changed &= differs.any(axis=1) if differs.ndim > 1 else differs
            for k in np.flatnonzero(changed).tolist():
                self.series[int(ids[k])].setdefault(name, []).append([step, self._value(name, values[k])])
            self._previous[name] = values.copy()

    def _aligned(self, ids: np.ndarray) -> dict[str, np.ndarray]:
        """The previous step's columns reordered to ``ids`` (new objects: no previous values)."""
        if self._ids is None or not np.isin(ids, self._ids).all():
            return {}
        order = np.searchsorted(self._ids, ids)
        return {name: values[order] for name, values in self._previous.items()}

    @staticmethod
    def _value(name: str, value: np.ndarray) -> Any:
        """A column value as the JSON the replay holds (python scalars, lists, pairs)."""
        if name == "inventory":
            return [[int(item), int(value[item])] for item in np.flatnonzero(value)]
        return value.tolist()

    def to_dict(self, episode_id: str) -> dict[str, Any]:
        env = self.env
        type_names = [""] * (max(env.object_type_names) + 1)
        for type_id, name in env.object_type_names.items():
            type_names[type_id] = name
        objects = []
        for _, series in sorted(self.series.items()):
            # Fields that never changed become constants, except lists of pairs (inventories),
            # which would read as change lists.
            objects.append({k: v[0][1] if len(v) == 1 and not _is_pairs(v[0][1]) else v for k, v in series.items()})
        return {
            "version": 2,
            "episode_id": episode_id,
            "action_names": env.action_names,
            "item_names": env.resource_names,
            "vibe_names": list(self.config.game.vibe_names),
            "type_names": type_names,
            "map_size": list(env.map_size(self.index)),
            "num_agents": env.num_agents,
            "max_steps": self.steps,
            "mg_config": self.config.model_dump(mode="json"),
            "objects": objects,
            "episode_seed": self.episode_seed,
            "map": self.map,
            "actions": self.actions,
        }

    def write(self, url: str, episode_id: str) -> None:
        atomic_write(url, zlib.compress(json.dumps(self.to_dict(episode_id), separators=(",", ":")).encode()))


class EpisodeReplays:
    """Replays of every env of a vectorized env: a recorder starts at each env's reset, sees
    every step, and its episode is written to ``<replay_dir>/<episode_id>.json.z`` at the end."""

    def __init__(self, env: MettaGridVecEnv, replay_dir: str) -> None:
        self.env, self.replay_dir = env, replay_dir
        self._recorders: list[ReplayRecorder | None] = [None] * env.num_envs

    def reset(self, envs: Iterable[int], configs: Mapping[int, MettaGridConfig] | None = None) -> None:
        """Call right after these envs were reset; ``configs`` names the config an env plays
        when it is not the batch's (a curriculum task)."""
        for e in envs:
            self._recorders[e] = ReplayRecorder(self.env, int(e), (configs or {}).get(int(e)))
            self._recorders[e].record()

    def step(self, actions: np.ndarray) -> None:
        """Call right after a step with its actions ``[num_envs, num_agents]``."""
        for e, recorder in enumerate(self._recorders):
            if recorder is not None:
                recorder.record(actions[e])

    def finish(self, e: int, episode_id: str) -> str:
        """Writes env ``e``'s finished episode; returns the replay's URL."""
        url = normalize_uri(f"{self.replay_dir}/{episode_id}.json.z")
        self._recorders[e].write(url, episode_id)
        return url


# Characters for the cell names of a recorded map, after the usual ones for empty and wall.
MAP_CHARS = ".#" + "".join(chr(c) for c in range(33, 127) if chr(c) not in ".#")


def map_legend(names: list[list[str]]) -> dict[str, Any]:
    """A grid of cell names as rows of characters and the legend that reads them back (an
    ASCII map, ~1/10 the size of the names themselves)."""
    order = sorted({name for row in names for name in row}, key=lambda n: (n not in ("empty", "wall"), n != "empty", n))
    if len(order) > len(MAP_CHARS):
        raise ValueError(f"a map with {len(order)} kinds of cell cannot be recorded (at most {len(MAP_CHARS)})")
    char = dict(zip(order, MAP_CHARS, strict=False))
    return {"legend": {char[n]: n for n in order}, "rows": ["".join(char[n] for n in row) for row in names]}


def _recipe(recipe: AssemblerRecipe | Protocol, resource_names: list[str]) -> dict[str, Any]:
    """An assembler recipe as the replay holds it: ``{positions, inputs, outputs, cooldown}``
    (a protocol: ``{min_agents, vibes, ...}`` instead of ``positions``) with items as
    ``[item id, amount]`` pairs, like inventories."""
    index = {name: i for i, name in enumerate(resource_names)}
    chosen_by = (
        {"min_agents": recipe.min_agents, "vibes": sorted(recipe.vibes)}
        if isinstance(recipe, Protocol)
        else {"positions": list(recipe.positions)}
    )
    return {
        **chosen_by,
        "inputs": sorted([index[name], qty] for name, qty in recipe.input_resources.items()),
        "outputs": sorted([index[name], qty] for name, qty in recipe.output_resources.items()),
        "cooldown": recipe.cooldown,
    }


def _is_pairs(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(x, list) and len(x) == 2 for x in value)


def is_change_list(field: Any) -> bool:
    return _is_pairs(field) and all(isinstance(x[0], int) for x in field)


def value_at(field: Any, step: int) -> Any:
    """The value of a replay field (constant or change list) at ``step``."""
    if not is_change_list(field):
        return field
    value = field[0][1]
    for at, v in field:
        if at > step:
            break
        value = v
    return value


def inflate(raw: bytes, limit: int, url: str) -> bytes:
    """zlib-decompresses ``raw`` in bounded chunks, refusing output past ``limit`` bytes before
    it is held in memory (a small file can otherwise inflate to gigabytes)."""
    inflater = zlib.decompressobj()
    out = bytearray()
    try:
        chunk = inflater.decompress(raw, limit + 1 - len(out))
        while True:
            out += chunk
            if len(out) > limit:
                raise ReplayError(f"{url}: the replay inflates past the {limit:,}-byte limit")
            if not inflater.unconsumed_tail:
                break
            chunk = inflater.decompress(inflater.unconsumed_tail, limit + 1 - len(out))
        out += inflater.flush()
    except zlib.error as e:
        raise ReplayError(f"{url}: not a zlib-compressed replay ({e})") from None
    if not inflater.eof:
        raise ReplayError(f"{url}: truncated replay (the zlib stream does not end)")
    if len(out) > limit:
        raise ReplayError(f"{url}: the replay inflates past the {limit:,}-byte limit")
    return bytes(out)


Name = Annotated[str, StringConstraints(max_length=MAX_STRING)]


class ReplayObject(BaseModel):
    """One object of a replay: an ``id`` and ``type_name``, and fields that are constants or
    change lists whose steps are in order."""

    model_config = ConfigDict(extra="allow")
    id: Any
    type_name: Any


class ReplayFile(BaseModel):
    """The checked shape of a replay (version 2); the parsed JSON itself is what callers use."""

    model_config = ConfigDict(extra="allow", strict=True)
    version: Literal[2]
    action_names: list[Name]
    item_names: list[Name]
    vibe_names: list[Name] = []
    type_names: list[Name]
    map_size: Annotated[list[PositiveInt], Field(min_length=2, max_length=2)]
    num_agents: NonNegativeInt
    max_steps: NonNegativeInt
    mg_config: dict[str, Any] = {}
    objects: list[ReplayObject]

    @model_validator(mode="after")
    def _steps_in_range(self) -> ReplayFile:
        for i, obj in enumerate(self.objects):
            for key, field in (obj.model_extra or {}).items():
                if is_change_list(field):
                    steps = [at for at, _ in field]
                    if steps != sorted(steps) or steps[0] < 0 or steps[-1] > self.max_steps:
                        raise ValueError(f"object {i} field {key!r} has steps out of order or range")
        return self


def load_replay(url: str, max_bytes: int = MAX_REPLAY_BYTES) -> dict[str, Any]:
    """Reads and checks a replay; refuses malformed files with a :class:`ReplayError`.

    ``max_bytes`` bounds both the compressed file and its inflated JSON.
    """
    try:
        raw = read_bytes(url, "replay", max_bytes)
    except (ValueError, IsADirectoryError) as e:
        raise ReplayError(str(e)) from None
    return parse_replay(raw, url, max_bytes)


def parse_replay(raw: bytes, url: str, max_bytes: int = MAX_REPLAY_BYTES) -> dict[str, Any]:
    """Checks the bytes of a replay file (``url`` names it in errors); see :func:`load_replay`."""
    text = inflate(raw, max_bytes, url)
    containers, values = text.count(b"[") + text.count(b"{"), text.count(b",")
    if containers > MAX_CONTAINERS or values > MAX_VALUES:
        raise ReplayError(
            f"{url}: the replay holds {containers:,} lists/objects and {values:,} values; "
            f"the limits are {MAX_CONTAINERS:,} and {MAX_VALUES:,}"
        )
    try:
        data = json.loads(text, object_pairs_hook=_bounded_object)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:  # JSONDecodeError is a ValueError
        raise ReplayError(f"{url}: invalid JSON ({e})") from None
    if not isinstance(data, dict):
        raise ReplayError(f"{url}: expected a JSON object at the top level")
    try:
        ReplayFile.model_validate(data)
    except ValidationError as e:
        raise ReplayError(validation_message(e, url)) from None
    return data


def _bounded_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys and string values are names, not megabytes (checked as parsed)."""
    for key, value in pairs:
        if len(key) > MAX_STRING or (isinstance(value, str) and len(value) > MAX_STRING):
            raise ValueError(f"a name or text field longer than {MAX_STRING} characters ({key[:40]!r})")
    return dict(pairs)
