"""Verifying a replay: re-simulate its episode and compare, step by step, with what it says.

A replay holds the env config, the map the episode started from, the episode's seed and
every agent's action (see :mod:`metta_lit.env.replay`). Playing those actions on a fresh env
built from them and recording it the same way must give the same file: the same objects (each
id once, of the same kind), the same fields, and in every field the same value at every step;
the first step where the two differ is where the replay stops being what the engine produced
(an edited action, an edited state, another engine version).

Malformed input (a replay whose config cannot be built, whose actions do not fit its game) is
a :class:`~metta_lit.env.replay.ReplayError`, checked before anything is re-simulated.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError

from metta_lit.core.errors import validation_message
from metta_lit.env.config import AsciiMapBuilder, MettaGridConfig
from metta_lit.env.replay import ReplayError, ReplayRecorder, is_change_list, value_at
from metta_lit.env.vec_env import EMPTY_TOKEN, MettaGridVecEnv

VERIFIABLE_FIELDS = ("episode_seed", "map", "actions")
# Top-level fields a replay may hold that are not compared as values: a label the writer
# chooses (``episode_id``), the config (``mg_config``: its effect is what the re-simulation
# checks), what the re-simulation is built from, the objects (compared one by one) and the version.
LABELS = ("episode_id", "mg_config", *VERIFIABLE_FIELDS, "objects", "version")
COMPARED = ("action_names", "item_names", "type_names", "map_size", "num_agents", "max_steps")


@dataclass(frozen=True)
class Difference:
    """The first place a re-simulation departs from the replay (``object_id`` None: a
    top-level field)."""

    step: int
    object_id: int | None
    type_name: str
    field: str
    recorded: Any
    simulated: Any
    note: str = ""  # what is wrong when it is not one value against another

    def __str__(self) -> str:
        where = f"{self.type_name} (object {self.object_id})" if self.object_id is not None else "the replay's"
        if self.note:
            return f"differs at step {self.step}: {where} {self.field}: {self.note}"
        return (
            f"differs at step {self.step}: {where} {self.field} is {_text(self.recorded)} in the replay, "
            f"{_text(self.simulated)} re-simulated"
        )


@dataclass(frozen=True)
class Verdict:
    verifiable: bool
    steps: int = 0
    difference: Difference | None = None

    @property
    def identical(self) -> bool:
        return self.verifiable and self.difference is None

    def __str__(self) -> str:
        if not self.verifiable:
            return "not verifiable (no actions)"
        return str(self.difference) if self.difference else f"identical ({self.steps} steps re-simulated)"


def verify_replay(replay: dict[str, Any], url: str = "replay") -> Verdict:
    """Re-simulates a checked replay (:func:`~metta_lit.env.replay.load_replay`) and compares."""
    if any(key not in replay for key in VERIFIABLE_FIELDS):
        return Verdict(verifiable=False)
    _check_objects(replay, url)
    config = replay_config(replay, url)
    actions = _actions(replay, config, url)
    simulated = resimulate(config, _seed(replay, url), actions)
    return Verdict(True, len(actions), first_difference(replay, simulated))


def episode_env(config: MettaGridConfig, episode_seed: int) -> MettaGridVecEnv:
    """One env at the start of the recorded episode: ``config``'s fixed map, reset, with the
    episode's step generator at ``episode_seed``."""
    env = MettaGridVecEnv(config, num_envs=1)
    env.reset()
    env.set_episode_seed(0, episode_seed)
    return env


def resimulate(config: MettaGridConfig, episode_seed: int, actions: np.ndarray) -> dict[str, Any]:
    """The replay (as JSON data) of ``actions`` ``[steps, agents]`` played from ``config``'s
    fixed map with the episode's step generator at ``episode_seed``."""
    env = episode_env(config, episode_seed)
    recorder = ReplayRecorder(env, 0, config)
    recorder.record()
    for step_actions in actions:
        env.step(step_actions[None])
        recorder.record(step_actions)
    return json.loads(json.dumps(recorder.to_dict("resimulated")))  # the same JSON types as a file


def first_difference(recorded: dict[str, Any], simulated: dict[str, Any]) -> Difference | None:
    """Where ``recorded`` first departs from ``simulated``: a top-level field, an id that
    repeats, an object or field one side lacks, else the earliest step at which any field of
    any object differs."""
    found = _top_level(recorded, simulated) or _repeated_id(recorded)
    if found:
        return found
    ours = {obj["id"]: obj for obj in simulated["objects"]}
    theirs = {obj["id"]: obj for obj in recorded["objects"]}
    for object_id in sorted(set(ours) ^ set(theirs)):
        only = "replay only" if object_id in theirs else "re-simulation only"
        kind = str((theirs.get(object_id) or ours[object_id])["type_name"])
        return Difference(0, object_id, kind, "exists", only == "replay only", only != "replay only", f"in the {only}")
    for object_id, b in ours.items():
        a = theirs[object_id]
        if a["type_name"] != b["type_name"]:
            return Difference(0, object_id, b["type_name"], "type_name", a["type_name"], b["type_name"])
        for name in sorted(set(a) ^ set(b)):
            note = "a field the engine does not record" if name in a else "missing from the replay"
            return Difference(0, object_id, b["type_name"], name, a.get(name), b.get(name), note)
    for object_id, b in ours.items():
        a = theirs[object_id]
        for name in sorted(a):
            step, in_value = _first_step(a[name], b[name])
            if step is not None and (found is None or step < found.step):
                kind = str(b.get("type_name", "object"))
                recorded, resimulated = value_at(a[name], step), value_at(b[name], step)
                note = "" if in_value else "the same values, written as other changes than the engine writes"
                found = Difference(step, object_id, kind, name, recorded, resimulated, note)
    return found


def _top_level(recorded: dict[str, Any], simulated: dict[str, Any]) -> Difference | None:
    for name in sorted(set(recorded) - set(simulated) - set(LABELS)):
        return Difference(0, None, "", name, recorded[name], None, "a field the engine does not record")
    for name in COMPARED:
        if not _same(recorded.get(name), simulated.get(name)):
            return Difference(0, None, "", name, recorded.get(name), simulated.get(name))
    return None


def _repeated_id(recorded: dict[str, Any]) -> Difference | None:
    counts = Counter(obj["id"] for obj in recorded["objects"])
    for obj in recorded["objects"]:
        if (times := counts[obj["id"]]) > 1:
            note = f"appears {times} times in the replay (once in the engine's)"
            return Difference(0, obj["id"], str(obj["type_name"]), "id", None, None, note)
    return None


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON: Python's ``==`` takes ``true`` for ``1`` and ``1.0`` for ``1``, which an
    edit of a replay's types would slip through."""
    if type(a) is type(b) and isinstance(a, (int, float, str)):  # bool is an int: same type only
        return a == b
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _first_step(a: Any, b: Any) -> tuple[int | None, bool]:
    """The first step at which two replay fields (constants or change lists) differ, and
    whether they differ in value there (else every value agrees and only how the changes are
    written differs: a repeated or missing entry)."""
    if _same(a, b):
        return None, False
    changes_a, changes_b = _changes(a), _changes(b)
    i = j = 0  # the entries in force at ``step``: one pass over both lists, as a hostile replay's
    # change list can hold ~10^6 entries (value_at per step would be quadratic)
    for step in sorted({at for at, _ in changes_a} | {at for at, _ in changes_b}):
        while i + 1 < len(changes_a) and changes_a[i + 1][0] <= step:
            i += 1
        while j + 1 < len(changes_b) and changes_b[j + 1][0] <= step:
            j += 1
        if not _same(changes_a[i][1], changes_b[j][1]):
            return step, True
    for x, y in zip(changes_a, changes_b, strict=False):
        if not _same(x, y):
            return min(x[0], y[0]), False
    return (changes_a if len(changes_a) > len(changes_b) else changes_b)[min(len(changes_a), len(changes_b))][0], False


def _changes(field: Any) -> list[list[Any]]:
    return field if is_change_list(field) else [[0, field]]


def _text(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 200 else text[:200] + "..."


def replay_config(replay: dict[str, Any], url: str) -> MettaGridConfig:
    """The replay's config, playing the map it recorded."""
    recorded = replay["map"]
    if not isinstance(recorded, dict) or not isinstance(recorded.get("rows"), list):
        raise ReplayError(f"{url}: 'map' must be {{legend: {{char: name}}, rows: [...]}}")
    try:
        config = MettaGridConfig.model_validate(replay["mg_config"])
        config.game.map_builder = AsciiMapBuilder(map_data=recorded["rows"], char_to_name_map=recorded.get("legend"))
        config = MettaGridConfig.model_validate(config.model_dump())  # checks the map against the game
    except ValidationError as e:
        raise ReplayError(validation_message(e, f"{url}: mg_config")) from None
    except ValueError as e:  # a map the builder cannot read (ConfigError)
        raise ReplayError(f"{url}: {e}") from None
    rows = config.game.map_builder.rows()
    if [len(rows[0]) if rows else 0, len(rows)] != replay["map_size"]:
        raise ReplayError(f"{url}: the recorded map does not have the replay's map_size {replay['map_size']}")
    if replay["num_agents"] != config.game.num_agents:
        raise ReplayError(
            f"{url}: num_agents is {replay['num_agents']} but its mg_config plays {config.game.num_agents} agents"
        )
    return config


def _check_objects(replay: dict[str, Any], url: str) -> None:
    for i, obj in enumerate(replay["objects"]):
        if not _is_int(obj["id"]) or not isinstance(obj["type_name"], str):
            raise ReplayError(f"{url}: object {i} needs an integer id and a type_name string")


def _seed(replay: dict[str, Any], url: str) -> int:
    seed = replay["episode_seed"]
    if not _is_int(seed) or not 0 <= seed < 2**32:
        raise ReplayError(f"{url}: episode_seed must be an integer in [0, 2**32), got {seed!r}")
    return seed


def _actions(replay: dict[str, Any], config: MettaGridConfig, url: str) -> np.ndarray:
    """The actions as ``[steps, agents]`` int32, one row per recorded step; the length is
    checked against the game first, so a replay of a million steps for a 30-step game is
    refused before anything is converted or played."""
    actions, agents, steps = replay["actions"], replay["num_agents"], replay["max_steps"]
    limit = config.game.max_steps
    if not isinstance(actions, list):
        raise ReplayError(f"{url}: actions must be a list of steps")
    if limit and max(len(actions), steps) > limit:
        raise ReplayError(
            f"{url}: {max(len(actions), steps)} steps recorded for a game of at most {limit} steps (game.max_steps)"
        )
    if len(actions) != steps:
        raise ReplayError(f"{url}: {len(actions)} steps of actions for a replay of {steps} steps")
    if any(not isinstance(row, list) or len(row) != agents or not all(_is_int(a) for a in row) for row in actions):
        raise ReplayError(f"{url}: actions must be one list of {agents} action ids per step")
    return np.asarray(actions, dtype=np.int64).reshape(len(actions), agents).clip(-1, 2**31 - 1).astype(np.int32)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def observation_at(replay: dict[str, Any], step: int, agent: int, url: str = "replay") -> dict[str, Any]:
    """What ``agent`` observed after ``step`` steps of a checked replay (the tokens its policy
    chose its next action from), by re-simulating the recorded actions up to that step:
    ``{window: [width, height], tokens: [{row, col, feature, value}]}`` with rows and columns
    in the agent's window (the agent at its centre). A replay without the fields that make it
    verifiable, or a step or agent it does not have, is a :class:`ReplayError`."""
    if any(key not in replay for key in VERIFIABLE_FIELDS):
        raise ReplayError(f"{url}: cannot re-simulate: the replay has no {', '.join(VERIFIABLE_FIELDS)}")
    if not 0 <= step <= replay["max_steps"] or not 0 <= agent < replay["num_agents"]:
        raise ReplayError(
            f"{url}: step must be in [0, {replay['max_steps']}] and agent in [0, {replay['num_agents'] - 1}]"
        )
    config = replay_config(replay, url)
    actions = _actions(replay, config, url)
    env = episode_env(config, _seed(replay, url))
    for step_actions in actions[:step]:
        env.step(step_actions[None])
    names = {spec["id"]: name for name, spec in env.feature_spec.items()}
    tokens = [
        {
            "row": int(location) >> 4,
            "col": int(location) & 0xF,
            "feature": names.get(int(feature), str(feature)),
            "value": int(value),
        }
        for location, feature, value in env.observations[0, agent].tolist()
        if location != EMPTY_TOKEN
    ]
    return {"window": [config.game.obs_width, config.game.obs_height], "tokens": tokens}
