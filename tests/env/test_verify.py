"""Verifiable replays: a fresh replay re-simulates identically, an edited one (an action, the
map, a state) is caught at the step the edit shows, and one written before replays held actions says so."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib

import numpy as np
import pytest
import torch

from metta_lit.curriculum.bucketed import BucketedCurriculum
from metta_lit.env import env_config
from metta_lit.env.replay import load_replay
from metta_lit.env.verify import first_difference, verify_replay
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
        ("bad", bad, 1, "79 steps of actions for a replay of 80 steps"),
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
