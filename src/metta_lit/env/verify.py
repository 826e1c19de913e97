"""Verifying a replay: re-simulate its episode and compare, step by step, with what it says.

A replay holds the env config, the map the episode started from, the episode's seed and
every agent's action (see :mod:`metta_lit.env.replay`). Playing those actions on a fresh env
built from them and recording it the same way must give the same file, object by object and
step by step; the first step where the two differ is where the replay stops being what the
engine produced (an edited action, an edited state, another engine version).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError

from metta_lit.core.errors import validation_message
from metta_lit.env.config import AsciiMapBuilder, MettaGridConfig
from metta_lit.env.replay import ReplayError, ReplayRecorder, is_change_list, value_at
from metta_lit.env.vec_env import MettaGridVecEnv

VERIFIABLE_FIELDS = ("episode_seed", "map", "actions")


@dataclass(frozen=True)
class Difference:
    """The first place a re-simulation departs from the replay."""

    step: int
    object_id: int
    type_name: str
    field: str
    recorded: Any
    simulated: Any

    def __str__(self) -> str:
        return (
            f"differs at step {self.step}: {self.type_name} (object {self.object_id}) {self.field} "
            f"is {json.dumps(self.recorded)} in the replay, {json.dumps(self.simulated)} re-simulated"
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
    actions = _actions(replay, url)
    simulated = resimulate(_config(replay, url), _seed(replay, url), actions)
    return Verdict(True, len(actions), first_difference(replay, simulated))


def resimulate(config: MettaGridConfig, episode_seed: int, actions: np.ndarray) -> dict[str, Any]:
    """The replay (as JSON data) of ``actions`` ``[steps, agents]`` played from ``config``'s
    fixed map with the episode's step generator at ``episode_seed``."""
    env = MettaGridVecEnv(config, num_envs=1)
    env.reset()
    env.set_episode_seed(0, episode_seed)
    recorder = ReplayRecorder(env, 0, config)
    recorder.record()
    for step_actions in actions:
        env.step(step_actions[None])
        recorder.record(step_actions)
    return json.loads(json.dumps(recorder.to_dict("resimulated")))  # the same JSON types as a file


def first_difference(recorded: dict[str, Any], simulated: dict[str, Any]) -> Difference | None:
    """The earliest step at which any object's field differs between two replays."""
    ours = {obj["id"]: obj for obj in simulated["objects"]}
    theirs = {obj["id"]: obj for obj in recorded["objects"]}
    found: Difference | None = None
    for object_id in sorted(set(ours) | set(theirs), key=str):
        if object_id not in ours or object_id not in theirs:
            side = "replay only" if object_id in theirs else "re-simulation only"
            return Difference(0, object_id, "object", "exists", side == "replay only", side != "replay only")
        a, b = theirs[object_id], ours[object_id]
        for name in sorted(set(a) | set(b)):
            step = _first_step(a.get(name), b.get(name))
            if step is not None and (found is None or step < found.step):
                kind = str(b.get("type_name", "object"))
                found = Difference(
                    step, object_id, kind, name, value_at(a.get(name), step), value_at(b.get(name), step)
                )
    return found


def _first_step(a: Any, b: Any) -> int | None:
    """The first step at which two replay fields (constants or change lists) differ."""
    if a == b:
        return None
    a, b = _changes(a), _changes(b)
    for x, y in zip(a, b, strict=False):
        if x != y:
            return min(x[0], y[0])
    return (a if len(a) > len(b) else b)[min(len(a), len(b))][0]


def _changes(field: Any) -> list[list[Any]]:
    return field if is_change_list(field) else [[0, field]]


def _config(replay: dict[str, Any], url: str) -> MettaGridConfig:
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
    rows = config.game.map_builder.rows()
    if [len(rows[0]) if rows else 0, len(rows)] != replay["map_size"]:
        raise ReplayError(f"{url}: the recorded map does not have the replay's map_size {replay['map_size']}")
    return config


def _seed(replay: dict[str, Any], url: str) -> int:
    seed = replay["episode_seed"]
    if not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ReplayError(f"{url}: episode_seed must be an integer in [0, 2**32), got {seed!r}")
    return seed


def _actions(replay: dict[str, Any], url: str) -> np.ndarray:
    """The actions as ``[steps, agents]`` int32, one row per recorded step."""
    actions, agents = replay["actions"], replay["num_agents"]
    if not isinstance(actions, list) or any(
        not isinstance(row, list) or len(row) != agents or not all(isinstance(a, int) for a in row) for row in actions
    ):
        raise ReplayError(f"{url}: actions must be one list of {agents} action ids per step")
    if len(actions) != replay["max_steps"]:
        raise ReplayError(f"{url}: {len(actions)} steps of actions for a replay of {replay['max_steps']} steps")
    return np.asarray(actions, dtype=np.int64).reshape(len(actions), agents).clip(-1, 2**31 - 1).astype(np.int32)
