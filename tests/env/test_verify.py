"""Verifiable replays: a fresh replay re-simulates identically, an edited one (an action, the
map, a state) is caught at the step the edit shows, and one written before replays held actions says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

from metta_lit.curriculum.bucketed import BucketedCurriculum
from metta_lit.env import env_config
from metta_lit.env.replay import is_change_list, load_replay, value_at
from metta_lit.env.verify import first_difference, replay_config, resimulate, verify_replay
from metta_lit.policy import RandomPolicy
from metta_lit.rl.acting import play_episodes
from metta_lit.rl.torch_env import MettaGridTorchEnv


def _replays(tmp_path, episodes: int, curriculum=None) -> list[dict]:
    """Replays of ``episodes`` consecutive random-policy episodes of one arena env (later ones
    start from a step generator the earlier ones advanced)."""
    config = env_config("arena").with_overrides({"game.max_steps": 80})
    torch.manual_seed(0)  # the random policy's actions: the same episodes in any test process
    env = MettaGridTorchEnv(config, num_envs=1, seed=3, replay_dir=str(tmp_path), curriculum=curriculum)
    played = play_episodes(env, [(RandomPolicy({}, []), config.game.num_agents)], [episodes])
    return [load_replay(episode.replay_url) for episode in played]


def _write(path, replay: dict) -> str:
    path.write_bytes(zlib.compress(json.dumps(replay).encode()))
    return str(path)


@pytest.mark.slow
def test_fresh_replays_are_identical_even_after_earlier_episodes_and_under_a_curriculum(tmp_path):
    for replay in _replays(tmp_path / "plain", 2):
        assert str(verify_replay(replay)) == "identical (80 steps re-simulated)"
    # A curriculum task plays another config than the batch's: the replay records the task's.
    tasks = BucketedCurriculum({"game.agent.rewards.inventory.ore_red": [0.0, 0.5]}, seed=1)
    for replay in _replays(tmp_path / "tasks", 3, tasks):
        assert verify_replay(replay).identical


def test_an_edited_action_or_seed_is_named_by_the_step_it_changes(tmp_path):
    (replay,) = _replays(tmp_path, 1)
    edited = json.loads(json.dumps(replay))
    edited["actions"][40][5] = (edited["actions"][40][5] + 1) % len(replay["action_names"])
    verdict = verify_replay(edited)
    # actions[k] is what the agents did to make step k + 1.
    assert not verdict.identical and verdict.difference.step == 41
    assert verdict.difference.type_name == "agent" and str(verdict).startswith("differs at step 41: agent")
    walled = json.loads(json.dumps(replay))
    row = next(r for r, text in enumerate(walled["map"]["rows"]) if "." in text)
    text = walled["map"]["rows"][row]
    walled["map"]["rows"][row] = text.replace(".", "#", 1)  # a wall where the episode had none
    difference = verify_replay(walled).difference
    assert difference.step == 0 and difference.field == "exists"
    moved = json.loads(json.dumps(replay))
    agent = next(o for o in moved["objects"] if o["type_name"] == "agent" and isinstance(o["location"][0], list))
    agent["location"][-1][1][0] += 1  # the replay claims another column from some step on
    assert verify_replay(moved).difference.step == agent["location"][-1][0]


def test_first_difference_compares_constants_and_change_lists():
    base = {"objects": [{"id": 1, "type_name": "agent", "orientation": [[0, 1], [5, 2]], "color": 0}]}
    same = {"objects": [{"id": 1, "type_name": "agent", "orientation": [[0, 1], [5, 2]], "color": 0}]}
    later = {"objects": [{"id": 1, "type_name": "agent", "orientation": [[0, 1], [7, 2]], "color": 0}]}
    extra = {"objects": [{"id": 1, "type_name": "agent", "orientation": [[0, 1], [5, 2], [9, 0]], "color": 0}]}
    assert first_difference(base, same) is None
    assert first_difference(base, later).step == 5  # one says it turned at 5, the other at 7
    assert first_difference(base, extra).step == 9
    assert first_difference(base, {"objects": []}).field == "exists"


def test_the_command_exits_by_verdict_and_old_replays_are_not_verifiable(tmp_path):
    (replay,) = _replays(tmp_path, 1)
    old = {k: v for k, v in replay.items() if k not in ("actions", "episode_seed", "map")}
    bad = {**replay, "actions": replay["actions"][:-1]}
    edited = json.loads(json.dumps(replay))
    edited["actions"][0] = [int(np.int32(-1))] * replay["num_agents"]
    for name, data, code, text in [
        ("fresh", replay, 0, "identical (80 steps re-simulated)"),
        ("edited", edited, 1, "differs at step 1:"),
        ("old", old, 2, "not verifiable (no actions)"),
        ("bad", bad, 2, "79 steps of actions for a replay of 80 steps"),
    ]:
        path = _write(tmp_path / f"{name}.json.z", data)
        run = subprocess.run(
            [sys.executable, "-m", "metta_lit.cli", "verify", path], capture_output=True, text=True, timeout=120
        )
        assert run.returncode == code, (name, run.stdout, run.stderr)
        assert text in run.stdout + run.stderr
    folder = tmp_path / "folder"
    folder.mkdir()
    for name, data in [("a", replay), ("b", edited)]:
        _write(folder / f"{name}.json.z", data)
    run = subprocess.run([sys.executable, "-m", "metta_lit.cli", "verify", str(folder)], capture_output=True, text=True)
    assert run.returncode == 1 and run.stdout.count("identical") == 1 and "b.json.z: differs at step 1" in run.stdout


@pytest.mark.parametrize("seed", [-1, 2**32, "1"])
def test_a_malformed_episode_seed_is_refused(tmp_path, seed):
    (replay,) = _replays(tmp_path, 1)
    with pytest.raises(ValueError, match="episode_seed must be an integer"):
        verify_replay({**replay, "episode_seed": seed})


# --- tampering: every pattern is named, never "identical" ---------------------------------


def _kinds_replays(tmp_path) -> list[dict]:
    """One short replay of an env for each object kind: agents, walls and converters
    (arena), a chest (commons), assemblers (coop_assembler), assemblers with protocols and
    vibes (vibe_assembler) and clipped ones (clip_defense)."""
    out = []
    for name in ("arena", "commons", "coop_assembler", "vibe_assembler", "clip_defense"):
        config = env_config(name).with_overrides({"game.max_steps": 25})
        torch.manual_seed(0)
        env = MettaGridTorchEnv(config, num_envs=1, seed=5, replay_dir=str(tmp_path / name))
        (episode,) = play_episodes(env, [(RandomPolicy({}, []), config.game.num_agents)], [1])
        out.append(load_replay(episode.replay_url))
    return out


def _edited(value):
    """A different value of the same JSON shape (the last entry of a change list)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.5
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list) and value:
        return [_edited(value[0]), *value[1:]]
    return [[0, 1]]


def _one_per_kind(replay: dict) -> list[dict]:
    """An object of each type_name, preferring one whose fields changed during the episode."""
    chosen: dict[str, dict] = {}
    for obj in replay["objects"]:
        changing = sum(is_change_list(v) and len(v) > 1 for v in obj.values())
        best = chosen.get(obj["type_name"])
        if best is None or changing > best[0]:
            chosen[obj["type_name"]] = (changing, obj)
    return [obj for _, obj in chosen.values()]


def test_an_edit_in_any_field_of_any_object_kind_is_named(tmp_path):
    edits = 0
    for replay in _kinds_replays(tmp_path):
        assert verify_replay(replay).identical
        # The edits leave map, seed and actions alone: one re-simulation serves them all.
        simulated = resimulate(
            replay_config(replay, "replay"), replay["episode_seed"], np.asarray(replay["actions"], np.int32)
        )
        for obj in _one_per_kind(replay):
            for field, value in obj.items():
                edited = json.loads(json.dumps(replay))
                target = next(o for o in edited["objects"] if o["id"] == obj["id"])
                if is_change_list(value):
                    target[field][-1][1] = _edited(value[-1][1])
                else:
                    target[field] = _edited(value)
                difference = first_difference(edited, simulated)
                assert difference is not None, (obj["type_name"], field)
                # an edited id names another object (a repeat) or one the engine does not have
                expected = {"id", "exists"} if field == "id" else {field}
                assert difference.field in expected, (obj["type_name"], field, str(difference))
                edits += 1
    assert edits > 100  # every field of walls, converters, agents, a chest and assemblers


def test_a_type_changing_edit_is_named_even_where_python_calls_the_values_equal(tmp_path):
    replay = _kinds_replays(tmp_path)[0]
    edited = json.loads(json.dumps(replay))
    agent = next(o for o in edited["objects"] if o["type_name"] == "agent")
    agent["is_swappable"] = 0 if agent["is_swappable"] is False else agent["is_swappable"]  # false -> 0
    agent["vision_size"] = float(agent["vision_size"])  # 11 -> 11.0
    difference = verify_replay(edited).difference
    assert difference.field in ("is_swappable", "vision_size") and difference.object_id == agent["id"]


@pytest.mark.parametrize("before", [True, False], ids=["tampered-first", "tampered-last"])
def test_a_repeated_object_id_is_refused_in_either_order(tmp_path, before):
    replay = _kinds_replays(tmp_path)[0]
    edited = json.loads(json.dumps(replay))
    genuine = next(o for o in edited["objects"] if o["type_name"] == "agent" and o["agent_id"] == 7)
    forged = {**genuine, "total_reward": 100.0, "inventory": [[0, [[6, 100]]]]}
    at = edited["objects"].index(genuine) + (0 if before else 1)
    edited["objects"].insert(at, forged)
    verdict = verify_replay(edited)
    assert not verdict.identical
    assert verdict.difference.object_id == genuine["id"] and verdict.difference.field == "id"
    assert "appears 2 times in the replay" in str(verdict)


def test_an_extra_a_missing_object_and_unknown_or_missing_fields_are_named(tmp_path):
    replay = _kinds_replays(tmp_path)[0]
    wall = next(o for o in replay["objects"] if o["type_name"] == "wall")
    extra = json.loads(json.dumps(replay))
    extra["objects"].append({**wall, "id": 99999})
    assert str(verify_replay(extra)).startswith("differs at step 0: wall (object 99999) exists: in the replay only")
    missing = json.loads(json.dumps(replay))
    missing["objects"] = [o for o in missing["objects"] if o["id"] != wall["id"]]
    assert "exists: in the re-simulation only" in str(verify_replay(missing))
    unknown = json.loads(json.dumps(replay))
    unknown["objects"][0]["hidden_score"] = 5
    assert "hidden_score: a field the engine does not record" in str(verify_replay(unknown))
    dropped = json.loads(json.dumps(replay))
    del dropped["objects"][0]["color"]
    assert "color: missing from the replay" in str(verify_replay(dropped))
    top = {**replay, "bonus": 1}
    assert str(verify_replay(top)) == "differs at step 0: the replay's bonus: a field the engine does not record"
    names = {**replay, "item_names": [*replay["item_names"][:-1], "gold"]}
    assert verify_replay(names).difference.field == "item_names"


def test_a_change_list_with_a_redundant_entry_is_named_without_a_contradiction(tmp_path):
    replay = _kinds_replays(tmp_path)[0]
    edited = json.loads(json.dumps(replay))
    agent = next(o for o in edited["objects"] if o["type_name"] == "agent" and is_change_list(o["inventory"]))
    last = json.loads(json.dumps(value_at(agent["inventory"], replay["max_steps"])))
    agent["inventory"].append([replay["max_steps"], last])  # "changes" to what it already was
    text = str(verify_replay(edited))
    assert f"differs at step {replay['max_steps']}: agent" in text and "written as other changes" in text
    assert " in the replay, " not in text  # never "is [] in the replay, [] re-simulated"


def _verify_cli(path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "metta_lit.cli", "verify", str(path)], capture_output=True, text=True, timeout=120
    )


def test_malformed_replays_get_one_line_and_exit_2_before_any_long_simulation(tmp_path):
    (replay,) = _replays(tmp_path, 1)
    agents = replay["num_agents"]
    cases = {
        "agents": ({**replay, "num_agents": agents - 1}, "num_agents is 23 but its mg_config plays 24 agents"),
        # 900k steps for an 80-step game: refused up front, not after minutes of re-simulation
        "long": ({**replay, "actions": [[0] * 2] * 900_000, "max_steps": 900_000}, "for a game of at most 80 steps"),
        "id": ({**replay, "objects": [{**replay["objects"][0], "id": [1]}]}, "needs an integer id"),
    }
    for name, (data, text) in cases.items():
        run = _verify_cli(_write(tmp_path / f"{name}.json.z", data))
        assert run.returncode == 2 and text in run.stdout, (name, run.stdout, run.stderr)
        assert len(run.stdout.strip().splitlines()) == 1 and not run.stderr, name
    loop = tmp_path / "loop.json.z"
    loop.symlink_to(loop)
    run = _verify_cli(loop)
    assert run.returncode == 2 and "cannot read this replay" in run.stdout and "Traceback" not in run.stderr


def test_a_folder_skips_what_is_not_a_regular_file(tmp_path):
    (replay,) = _replays(tmp_path / "played", 1)
    folder = tmp_path / "folder"
    folder.mkdir()
    _write(folder / "a.json.z", replay)
    os.mkfifo(folder / "fifo.json.z")  # opening it would wait for a writer forever
    (folder / "loop.json.z").symlink_to(folder / "loop.json.z")
    run = _verify_cli(folder)
    assert run.returncode == 0, (run.stdout, run.stderr)
    assert "a.json.z: identical" in run.stdout and run.stdout.count("skipped (not a regular file)") == 2


@pytest.mark.slow
def test_fresh_replays_of_every_shipped_env_verify_as_identical(tmp_path):
    """scripts/verify_replays.py at 10 episodes per env (the docs' run: 100 per env)."""
    out = tmp_path / "rows.json"
    run = subprocess.run(
        [sys.executable, "scripts/verify_replays.py", "--episodes", "10", "--steps", "15", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).parents[2],
    )
    assert run.returncode == 0, run.stdout + run.stderr
    rows = json.loads(out.read_text())["results"]["rows"]
    assert len(rows) >= 10 and all(row["identical"] == row["episodes"] == 10 for row in rows)
