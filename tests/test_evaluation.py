"""Evaluation: simulations -> DuckDB -> analysis, replays, concurrent writers, play, evaluator."""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import subprocess
import sys
import time
import zlib
from datetime import datetime
from pathlib import Path

import pytest
from conftest import EPOCH, NAV, column, fit_args, metta_lit, read_metrics
from rich.console import Console

from metta_lit.commands.analyze import analyze
from metta_lit.commands.evaluate import evaluate
from metta_lit.core.errors import ConfigError
from metta_lit.env.replay import ReplayError, load_replay, value_at
from metta_lit.evaluation.config import load_simulations
from metta_lit.evaluation.records import EpisodeRecord, SimulationRecord
from metta_lit.evaluation.stats_db import EvalStatsDB, StatsDBError


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """Two versions of a briefly trained navigation policy."""
    root = tmp_path_factory.mktemp("train")
    metta_lit(
        *fit_args("ev", str(2 * EPOCH)),
        "--checkpoint.checkpoint_interval",
        "1",
        cwd=root,
    )
    return root / "train_dir" / "ev" / "checkpoints"


def test_evaluate_two_versions_on_two_simulations_then_analyze(trained, tmp_path):
    db_path = str(tmp_path / "stats.duckdb")
    uris = [f"file://{trained}/ev:v1.mpt", str(trained / "ev:latest")]
    records = evaluate(uris, ["navigation/default", "navigation/sparse"], db_path, console=Console(file=io.StringIO()))
    db = EvalStatsDB(db_path)
    episodes = 16 + 16  # per policy: both navigation sims have num_episodes 16
    assert db.count("simulations") == 4
    assert db.count("episodes") == 2 * episodes
    assert db.count("agent_policies") == db.count("agent_groups") == 2 * episodes * 4
    assert db.query("SELECT count(*) FROM agent_metrics WHERE metric = 'reward'")[0][0] == 2 * episodes * 4
    assert db.query("SELECT count(*) FROM policy_simulation_agent_samples")[0][0] == 2 * episodes * 4
    assert db.query("SELECT DISTINCT name, env FROM simulations ORDER BY env") == [
        ("navigation", "default"),
        ("navigation", "sparse"),
    ]
    assert db.policies() == [("ev", 1), ("ev", 2)]
    attrs = dict(
        db.query("SELECT attribute, value FROM episode_attributes WHERE episode_id = ?", [records[0].episodes[0].id])
    )
    assert attrs["config.game.num_agents"] == "4" and attrs["map_w"] == "31"
    # The aggregate matches the records, with missing metrics counted as zero.
    rec = next(r for r in records if r.policy_version == 2 and r.name == "default")
    values = [m.get("heart.gained", 0.0) for e in rec.episodes for m in e.agent_metrics]
    summary = db.metric(("ev", 2), "navigation/default", "heart.gained")
    assert summary.samples == len(values) and summary.mean == pytest.approx(sum(values) / len(values))
    assert db.suite_score(("ev", 2), "navigation") == pytest.approx(sum(db.simulation_scores(("ev", 2)).values()) / 2)

    out = io.StringIO()
    png = tmp_path / "scorecard.png"
    analyze(db_path, ["reward", "heart.*"], str(png), console=Console(file=out, width=200))
    text = out.getvalue()
    for needle in ("ev:v1", "ev:v2", "navigation/default", "navigation/sparse", "heart.gained", "reward"):
        assert needle in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_missing_metrics_count_as_zero(tmp_path):
    now = datetime.now()
    episodes = [
        EpisodeRecord(
            f"e{i}",
            "s",
            10,
            now,
            {},
            [0, 0],
            [{"reward": 1.0, "heart.gained": 3.0}, {"reward": 0.0}],
            [("p", 1), ("p", 1)],
        )
        for i in range(2)
    ]
    db = EvalStatsDB(str(tmp_path / "h.duckdb"))
    db.write([SimulationRecord("s", "suite", "sim", "p", 1, now, now, episodes)])
    s = db.metric(("p", 1), "suite/sim", "heart.gained")
    assert (s.mean, s.count, s.samples) == (1.5, 2, 4)  # (3 + 3) / 4 agent-episodes
    assert s.std == pytest.approx(1.5)  # values 3, 0, 3, 0
    assert math.isnan(db.metric(("other", 1), "suite/sim", "reward").mean)


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


def test_two_concurrent_evaluate_processes_lose_no_rows(tmp_path):
    db_path = str(tmp_path / "shared.duckdb")
    cmd = [
        sys.executable,
        "-m",
        "metta_lit.cli",
        "evaluate",
        "--policy_uris",
        "random",
        "--simulations",
        "navigation/default",
        "--stats_db",
        db_path,
    ]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs = [
        subprocess.Popen([*cmd, "--seed", str(seed)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for seed in (1, 2)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()[-2000:]
    db = EvalStatsDB(db_path)
    assert db.count("simulations") == 2 and db.count("episodes") == 32 and db.count("agent_policies") == 128
    assert not list(tmp_path.glob("*.shard*"))  # every shard was merged and removed


def test_play_in_log_mode_runs_n_steps(tmp_path):
    out = metta_lit("play", "--config", "navigation", "--render", "log", "--steps", "7", cwd=tmp_path).stdout
    assert out.count("step ") == 8  # a frame before each of the 7 steps, and the final one
    assert "step 7/200" in out and "episode over after 7 steps" in out
    assert "agent 3:" in out


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux for a real terminal")
def test_play_with_the_keyboard_in_a_terminal(tmp_path):
    session = f"metta-play-{os.getpid()}"
    log = tmp_path / "play.out"
    cmd = f"{sys.executable} -m metta_lit.cli play --config navigation --agent 1 > /dev/tty; echo EXIT=$? > {log}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "45", cmd], check=True)
    try:

        def screen() -> str:
            return subprocess.run(["tmux", "capture-pane", "-t", session, "-p"], capture_output=True, text=True).stdout

        deadline = time.time() + 60
        while "step 0/200" not in screen() and time.time() < deadline:
            time.sleep(0.2)
        for key in ("d", "s", "Space"):
            subprocess.run(["tmux", "send-keys", "-t", session, key], check=True)
            time.sleep(0.5)
        deadline = time.time() + 20
        while "step 3/200" not in screen() and time.time() < deadline:
            time.sleep(0.2)
        assert "step 3/200" in screen() and "you:" in screen()
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        deadline = time.time() + 20
        while not log.exists() and time.time() < deadline:
            time.sleep(0.2)
        assert log.read_text().strip() == "EXIT=0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def test_evaluator_callback_logs_suite_scores_during_training(tmp_path):
    metta_lit(
        *fit_args("evcb", str(2 * EPOCH)),
        "--evaluator.suite",
        "navigation",
        "--evaluator.evaluate_interval",
        "2",
        "--evaluator.num_episodes",
        "2",
        "--evaluator.stats_db",
        str(tmp_path / "during.duckdb"),
        cwd=tmp_path,
    )
    rows = read_metrics(tmp_path / "train_dir" / "evcb")
    assert len(column(rows, "evaluator/eval_navigation/score")) == 1
    assert column(rows, "evaluator/eval_navigation/default") and column(rows, "evaluator/eval_navigation/sparse")
    assert EvalStatsDB(str(tmp_path / "during.duckdb")).policies() == [("evcb", 2)]


def test_npc_agents_play_a_fraction_of_each_env(trained, tmp_path):
    from metta_lit.evaluation.config import SimulationConfig
    from metta_lit.evaluation.runner import PolicyHandle, run_simulation

    sim = SimulationConfig(
        suite="npc", name="half", env="navigation", num_episodes=2, npc_policy_uri="random", policy_agents_pct=0.5
    )
    record = run_simulation(PolicyHandle.from_uri(str(trained)), sim, seed=3)
    assert [e.agent_policies for e in record.episodes] == [[("ev", 2), ("ev", 2), ("random", 0), ("random", 0)]] * 2
    db = EvalStatsDB(str(tmp_path / "npc.duckdb"))
    db.write([record])
    assert db.policies() == [("ev", 2), ("random", 0)]
    assert db.metric(("random", 0), "npc/half", "reward").samples == 4
    with pytest.raises(ValueError, match="needs npc_policy_uri"):
        run_simulation(PolicyHandle.from_uri("random"), sim.model_copy(update={"npc_policy_uri": None}))


def test_replay_command_writes_one_loadable_episode(trained, tmp_path):
    out = metta_lit(
        "replay", "--policy_uri", str(trained), "--config", NAV, "--replay_dir", str(tmp_path / "r"), cwd=tmp_path
    ).stdout
    [path] = list((tmp_path / "r").glob("*.json.z"))
    assert f"replay written to file://{path}" in out
    replay = load_replay(str(path))
    assert replay["max_steps"] == 200 and replay["mg_config"]["label"] == "navigation"


def test_arena_suite_prices_attacks_out_in_basic_only():
    from metta_lit.env import MettaGridVecEnv

    basic, combat = load_simulations(["arena"])
    assert (basic.full_name, combat.full_name) == ("arena/basic", "arena/combat")
    envs = [MettaGridVecEnv(s.env_config()) for s in (basic, combat)]
    assert envs[0].action_names == envs[1].action_names  # same 16 actions
    from metta_lit.env.native_config import to_native

    for sim, cost in ((basic, 100), (combat, 1)):
        game = sim.env_config().game
        attack = next(a for a in to_native(game).actions if a.name == "attack")
        assert attack.required_resources[game.resource_names.index("laser")] == cost
    assert basic.env_config().game.agent.default_resource_limit == 50 < 100  # never affordable


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


def test_bad_stats_db_paths_are_refused_before_any_episode_runs(tmp_path, monkeypatch):
    import metta_lit.evaluation.runner as runner

    def must_not_run(*args, **kwargs):
        raise AssertionError("a simulation ran before the database was checked")

    monkeypatch.setattr(runner, "run_simulation", must_not_run)
    quiet = Console(file=io.StringIO())
    (tmp_path / "adir").mkdir()
    (tmp_path / "text.duckdb").write_text("not a database\n")
    readonly = tmp_path / "ro"
    readonly.mkdir()
    EvalStatsDB(str(readonly / "ro.duckdb")).check_writable()
    (readonly / "ro.duckdb").chmod(0o444)
    cases = {"adir": "is a directory", "text.duckdb": "not a usable DuckDB file", "ro/ro.duckdb": "read-only"}
    for name, message in cases.items():
        with pytest.raises(StatsDBError, match=message):
            evaluate(["random"], ["navigation/default"], str(tmp_path / name), console=quiet)
    leftovers = [p.name for p in tmp_path.rglob("*") if ".shard" in p.name]
    assert leftovers == []


def test_a_quote_in_the_stats_db_path_is_data_not_sql(tmp_path):
    folder = tmp_path / "it's here"
    folder.mkdir()
    db = EvalStatsDB(str(folder / "o'brien.duckdb"))
    now = datetime.now()
    episode = EpisodeRecord("e1", "s1", 3, now, {}, [0], [{"reward": 2.0}], [("p", 1)])
    db.write([SimulationRecord("s1", "suite", "sim", "p", 1, now, now, [episode])])
    assert db.count("episodes") == 1 and db.metric(("p", 1), "suite/sim", "reward").mean == 2.0
    assert not list(folder.glob("*.shard*"))


def test_evaluate_keeps_finished_simulations_when_a_later_one_fails(tmp_path, monkeypatch):
    import metta_lit.evaluation.runner as runner

    real, calls = runner.run_simulation, []

    def second_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the second simulation crashed")
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "run_simulation", second_fails)
    db_path = str(tmp_path / "s.duckdb")
    with pytest.raises(RuntimeError, match="second simulation crashed"):
        evaluate(["random"], ["navigation/default", "navigation/sparse"], db_path, console=Console(file=io.StringIO()))
    assert EvalStatsDB(db_path).count("episodes") == 16  # navigation/default's episodes were written


def test_analyze_says_when_a_pattern_matches_nothing(tmp_path):
    db_path = str(tmp_path / "s.duckdb")
    now = datetime.now()
    episode = EpisodeRecord("e1", "s1", 3, now, {}, [0], [{"reward": 2.0, "ore_red.gained": 1.0}], [("p", 1)])
    EvalStatsDB(db_path).write([SimulationRecord("s1", "suite", "sim", "p", 1, now, now, [episode])])
    out = io.StringIO()
    analyze(db_path, ["reward", "heart.*"], None, console=Console(file=out, width=300))
    assert "no metric matches 'heart.*'; the database has: ore_red.gained, reward" in out.getvalue()
    with pytest.raises(ConfigError, match=r"no metric matches 'heart.\*', 'laser'"):
        analyze(db_path, ["heart.*", "laser"], None, console=Console(file=io.StringIO()))


def test_the_scorecard_fits_long_names_title_and_colorbar_label(tmp_path):
    from metta_lit.commands.analyze import scorecard_figure

    db_path = str(tmp_path / "s.duckdb")
    now = datetime.now()
    sims = []
    for k, key in enumerate(["a" * 70, "local.someone.20261125.101010_with_a_long_suffix"]):
        episode = EpisodeRecord(f"e{k}", f"s{k}", 3, now, {}, [0], [{"reward": float(k)}], [(key, 12)])
        sims.append(
            SimulationRecord(f"s{k}", "suite_with_a_long_name", "simulation_" + "x" * 40, key, 12, now, now, [episode])
        )
    db = EvalStatsDB(db_path)
    db.write(sims)
    fig = scorecard_figure(db, "reward")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    texts = [t for ax in fig.axes for t in (ax.title, ax.yaxis.label, *ax.get_xticklabels(), *ax.get_yticklabels())]
    for text in texts:
        if text.get_text():
            extent = text.get_window_extent(renderer)
            assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1, text.get_text()
            assert box.y0 - 1 <= extent.y0 and extent.y1 <= box.y1 + 1, text.get_text()
    heatmap = fig.axes[0].get_window_extent(renderer)
    assert heatmap.width > 0.25 * box.width  # the labels do not squeeze the heatmap away
    assert all(len(t.get_text()) <= 28 for t in fig.axes[0].get_yticklabels())


def test_play_refuses_a_negative_step_count(tmp_path):
    proc = metta_lit("play", "--config", "navigation", "--render", "log", "--steps", "-3", cwd=tmp_path, check=False)
    assert proc.returncode != 0 and "--steps: must be >= 1, got -3" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_arena_policy_evaluates_and_replays_on_navigation(tmp_path):
    from metta_lit.checkpoints import save_policy
    from metta_lit.env import MettaGridVecEnv, env_config
    from metta_lit.policy import FastPolicy

    arena = MettaGridVecEnv(env_config("arena"))
    save_policy(FastPolicy(arena.feature_spec, arena.action_names), str(tmp_path / "arena:v1.mpt"))
    records = evaluate(
        [str(tmp_path / "arena:v1.mpt")],
        ["navigation/default"],
        str(tmp_path / "s.duckdb"),
        console=Console(file=io.StringIO()),
    )
    assert len(records[0].episodes) == 16
    out = metta_lit(
        "replay",
        "--policy_uri",
        str(tmp_path / "arena:v1.mpt"),
        "--config",
        "navigation",
        "--replay_dir",
        str(tmp_path / "r"),
        cwd=tmp_path,
    ).stdout
    assert "replay written to" in out
