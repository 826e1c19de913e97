"""Replays: decoded against the episode stats, malformed and oversized files refused."""

from __future__ import annotations

import io
import json
import zlib

import numpy as np
import pytest
from rich.console import Console

from metta_lit.commands.evaluate import evaluate
from metta_lit.env.replay import ReplayError, ReplayRecorder, load_replay, value_at
from metta_lit.evaluation.config import load_simulations
from metta_lit.evaluation.stats_db import EvalStatsDB


def test_replays_decode_and_match_the_episode_stats(trained, tmp_path):
    db_path = str(tmp_path / "r.duckdb")
    replays = tmp_path / "replays"
    sims = ["navigation/default"]
    [record] = evaluate([str(trained)], sims, db_path, replay_dir=str(replays), console=Console(file=io.StringIO()))
    assert len(list(replays.glob("*.json.z"))) == len(record.episodes) == load_simulations(sims)[0].num_episodes
    db = EvalStatsDB(db_path)
    for episode in record.episodes[:3]:
        (url,) = db.query("SELECT replay_url FROM episodes WHERE id = ?", [episode.id])[0]
        assert url == episode.replay_url
        replay = load_replay(url)
        assert replay["version"] == 2 and replay["map_size"] == [31, 31] and replay["num_agents"] == 4
        assert replay["max_steps"] == episode.step_count == 200
        assert replay["action_names"][:2] == ["noop", "move_north"] and replay["item_names"] == ["heart"]
        agents = sorted(
            (o for o in replay["objects"] if o["type_name"] == "agent"), key=lambda o: value_at(o["agent_id"], 0)
        )
        for a, obj in enumerate(agents):
            assert value_at(obj["total_reward"], replay["max_steps"]) == pytest.approx(
                episode.agent_metrics[a]["reward"]
            )
            steps = obj["location"] if isinstance(obj["location"][0], list) else [[0, obj["location"]]]
            assert all(0 <= c < 31 and 0 <= r < 31 for _, (c, r, _layer) in steps)
        walls = [o for o in replay["objects"] if o["type_name"] == "wall"]
        assert walls and all(not isinstance(w["location"][0], list) for w in walls)  # static: constants


def test_malformed_replays_are_refused(tmp_path):
    def write(name: str, data: bytes) -> str:
        (tmp_path / name).write_bytes(data)
        return str(tmp_path / name)

    good = {
        "version": 2,
        "action_names": [],
        "item_names": [],
        "type_names": [],
        "map_size": [1, 1],
        "num_agents": 0,
        "max_steps": 3,
        "objects": [{"id": 1, "type_name": "wall", "color": [[0, 1], [2, 2]]}],
    }
    load_replay(write("ok.json.z", zlib.compress(json.dumps(good).encode())))
    cases = {
        "plain.json.z": (json.dumps(good).encode(), "not a zlib-compressed replay"),
        "garbage.json.z": (zlib.compress(b"{nope"), "invalid JSON"),
        "v1.json.z": (zlib.compress(json.dumps({**good, "version": 1}).encode()), "version: Input should be 2"),
        "short.json.z": (zlib.compress(json.dumps({"version": 2}).encode()), "action_names: Field required"),
        "order.json.z": (
            zlib.compress(
                json.dumps({**good, "objects": [{"id": 1, "type_name": "wall", "color": [[2, 1], [0, 2]]}]}).encode()
            ),
            "out of order",
        ),
    }
    for name, (data, message) in cases.items():
        with pytest.raises(ReplayError, match=message):
            load_replay(write(name, data))


def test_replays_that_inflate_past_the_limit_or_have_wrong_types_are_refused(tmp_path):
    bomb = tmp_path / "bomb.json.z"
    bomb.write_bytes(zlib.compress(b'{"pad": "' + b" " * (64 << 20) + b'"}', 9))  # 64 MB from ~64 kB
    assert bomb.stat().st_size < 200_000
    with pytest.raises(ReplayError, match="inflates past the 1,048,576-byte limit"):
        load_replay(str(bomb), max_bytes=1 << 20)
    good = {
        "version": 2,
        "action_names": [],
        "item_names": [],
        "type_names": [],
        "map_size": [3, 3],
        "num_agents": 0,
        "max_steps": 5,
        "objects": [],
    }
    for field, value, kind in (
        ("max_steps", "five", "Input should be a valid integer"),
        ("objects", {"a": 1}, "Input should be a valid list"),
        ("map_size", 7, "Input should be a valid list"),
        ("version", True, "Input should be 2"),
        ("num_agents", True, "Input should be a valid integer"),
    ):
        path = tmp_path / f"{field}.json.z"
        path.write_bytes(zlib.compress(json.dumps({**good, field: value}).encode()))
        with pytest.raises(ReplayError, match=f"{field}: {kind}"):
            load_replay(str(path))
    path = tmp_path / "truncated.json.z"
    path.write_bytes(zlib.compress(json.dumps(good).encode())[:-6])
    with pytest.raises(ReplayError, match="truncated replay"):
        load_replay(str(path))


def test_an_assembler_records_its_recipes_uses_and_cooldown(driver):
    """A one-agent recipe with cooldown 3, used at step 1: the replay says
    uses_count 1 from step 1 and counts the cooldown down 3, 2, 1, 0."""
    solo = {"positions": ["Any"], "output_resources": {"heart": 1}, "cooldown": 3}
    objects = {
        "wall": {},
        "assembler": {"type": "assembler", "type_id": 21, "map_char": "A", "recipes": [solo], "max_uses": 5},
    }
    d = driver(["@A."], objects=objects)
    recorder = ReplayRecorder(d.env, 0)
    recorder.record()
    for _ in range(5):
        actions = np.full((1, 1), d.ids["move_east"], np.int32)
        d.env.step(actions)
        recorder.record(actions[0])
    (obj,) = [o for o in recorder.to_dict("e")["objects"] if o["type_name"] == "assembler"]
    assert obj["max_uses"] == 5
    assert obj["recipes"] == [{"positions": ["Any"], "inputs": [], "outputs": [[6, 1]], "cooldown": 3}]
    assert obj["uses_count"] == [[0, 0], [1, 1], [4, 2]]  # usable again at step 4: a second use
    assert [value_at(obj["cooldown_remaining"], step) for step in range(6)] == [0, 3, 2, 1, 3, 2]
    assert value_at(obj["is_cooling_down"], 3) is True and value_at(obj["is_cooling_down"], 0) is False
