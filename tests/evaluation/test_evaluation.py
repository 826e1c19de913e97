"""Evaluation: simulations -> DuckDB -> analysis, replays, concurrent writers, play, evaluator."""

from __future__ import annotations

import io
import math
import os
import subprocess
import sys
from datetime import datetime

import pytest
from conftest import metta_lit, refused, unwritable_folder
from rich.console import Console

from metta_lit.commands.analyze import analyze
from metta_lit.commands.evaluate import evaluate
from metta_lit.core.errors import ConfigError, MettaLitError
from metta_lit.evaluation.config import load_simulations
from metta_lit.evaluation.records import EpisodeRecord, SimulationRecord
from metta_lit.evaluation.stats_db import EvalStatsDB, StatsDBError


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


def test_evaluating_a_team_sim_writes_each_teams_cooperation_metrics_to_duckdb(tmp_path):
    """coop_assembler: four teams of two; per team its return and Gini, and the assembler's
    uses alone and together, one row per episode and metric; their sum is the agents' reward."""
    db_path = str(tmp_path / "coop.duckdb")
    evaluate(["random"], ["coop_assembler/pairs"], db_path, console=Console(file=io.StringIO()))
    db = EvalStatsDB(db_path)
    means = db.episode_metric_means(("random", 0), "coop_assembler/pairs")
    teams = [f"team_{k}" for k in range(1, 5)]
    assert {f"coop/{t}/return" for t in teams} | {"coop/assembler_uses_alone", "coop/assembler_uses_together"} <= set(
        means
    )
    episodes = db.count("episodes")
    assert episodes == 8 and db.count("episode_metrics") >= episodes * 6
    team_total = sum(means[f"coop/{t}/return"] for t in teams)
    assert team_total == pytest.approx(db.metric(("random", 0), "coop_assembler/pairs", "reward").mean * 8, rel=1e-5)
    assert db.episode_metric_means(("random", 0), "coop_assembler/pairs", "coop/*gini*").keys() <= {
        f"coop/{t}/gini" for t in teams
    }


def test_a_database_written_before_episode_metrics_has_none(tmp_path):
    import duckdb

    from metta_lit.evaluation.stats_db import SCHEMA

    path = str(tmp_path / "old.duckdb")
    with duckdb.connect(path) as con:
        old = SCHEMA.replace(
            "CREATE TABLE IF NOT EXISTS episode_metrics (\n    episode_id TEXT, metric TEXT, value REAL, PRIMARY KEY (episode_id, metric));\n",
            "",
        )
        assert old != SCHEMA
        con.execute(old)
    assert EvalStatsDB(path).episode_metric_means(("random", 0), "coop_assembler/pairs") == {}


def test_analyze_prints_the_cooperation_metrics_of_team_sims(tmp_path):
    db_path = str(tmp_path / "coop.duckdb")
    quiet = Console(file=io.StringIO(), width=200)
    evaluate(["random"], ["coop_assembler/pairs"], db_path, console=quiet)
    out = Console(file=io.StringIO(), width=200)
    analyze(db_path, ["reward"], scorecard=None, console=out)
    text = out.file.getvalue()
    assert "cooperation (coop/*)" in text and "coop/team_3/return" in text and "coop/assembler_uses_together" in text


def test_compare_refuses_a_seed_out_of_range_and_a_foreign_database_without_writing_to_it(
    tmp_path, monkeypatch, capsys
):
    import duckdb

    monkeypatch.chdir(tmp_path)
    for seed in (-1, 2**64):
        message = refused(capsys, "compare", "random", "scripted", "--sims", "navigation", "--seed", str(seed))
        assert message.strip().endswith(f"--seed: must be in [0, 2**64), got {seed}")
    foreign = tmp_path / "shop.duckdb"
    with duckdb.connect(str(foreign)) as con:
        con.execute("CREATE TABLE orders (id INTEGER, item TEXT); CREATE TABLE episodes (id INTEGER, title TEXT)")
    before = foreign.read_bytes()
    message = refused(capsys, "compare", "random", "scripted", "--sims", "navigation", "--stats_db", str(foreign))
    assert "a DuckDB file of something else (its tables episodes, orders" in message, message
    assert foreign.read_bytes() == before
    with duckdb.connect(str(foreign), read_only=True) as con:
        assert {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()} == {
            "orders",
            "episodes",
        }


def _write_one(db: str) -> None:
    now = datetime.now()
    episode = EpisodeRecord("e1", "s1", 3, now, {}, [0], [{"reward": 2.0}], [("p", 1)])
    EvalStatsDB(db).write([SimulationRecord("s1", "suite", "sim", "p", 1, now, now, [episode])])


def test_analyze_reads_a_database_in_a_read_only_folder_and_names_an_unwritable_png(tmp_path):
    from tests.web_site import write_crossplay

    source = tmp_path / "made.duckdb"
    write_crossplay(str(source), "strong", "weak", 2.0, 0.5, episodes=2)
    _write_one(str(source))
    with unwritable_folder(tmp_path / "ro", {"stats.duckdb": source.read_bytes()}) as folder:
        db = str(folder / "stats.duckdb")
        table = analyze(db, metrics=["reward"], scorecard=None, console=Console(file=io.StringIO(), width=200))
        assert table.row_count == 1  # read without creating a .lock beside it (cross-play stays out of the table)
        with pytest.raises(MettaLitError, match=r"crossplay.png: cannot write the image \((Read-only|Permission)"):
            analyze(
                db, crossplay=True, crossplay_png=str(folder / "crossplay.png"), console=Console(file=io.StringIO())
            )
        with pytest.raises(MettaLitError, match=r"scorecard.png: cannot write the image"):
            analyze(
                db, metrics=["reward"], scorecard=str(folder / "scorecard.png"), console=Console(file=io.StringIO())
            )
        assert sorted(p.name for p in folder.iterdir()) == ["stats.duckdb"]
    run = metta_lit(
        "analyze", "--stats_db", str(source), "--leaderboard", "--replacement", "nosuch:v9", cwd=tmp_path, check=False
    )
    assert run.returncode == 1 and "--replacement nosuch:v9: no cross-play episode of it" in run.stderr, run.stderr


def test_a_misspelt_simulation_is_one_line_naming_the_closest(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for spec, text in [
        ("arena_easy/basc", "suite 'arena_easy' has no simulation 'basc' (closest: arena_easy/basic"),
        ("arnea", "unknown simulation suite 'arnea' (closest: arena, arena_easy;"),
        ("mine.yaml", "simulations file mine.yaml: no such file"),
    ]:
        message = refused(capsys, "evaluate", "--policy_uris", "random", "--simulations", spec)
        assert len(message.strip().splitlines()) == 1 and text in message, message


def test_evaluate_and_compare_take_a_simulations_file_of_ones_own(tmp_path):
    """Held-out seeds without editing the package: a YAML file of simulations, all or one of
    them (``FILE.yaml/name``); compare's older ``--sims`` spelling still works."""
    sims = tmp_path / "heldout.yaml"
    sims.write_text(
        "simulations:\n"
        "  - {name: far, env: navigation, num_episodes: 2, env_overrides: {game.max_steps: 20}}\n"
        "  - {name: near, env: navigation, num_episodes: 2, env_overrides: {game.max_steps: 10}}\n"
    )
    assert [s.full_name for s in load_simulations([str(sims)])] == ["heldout/far", "heldout/near"]
    assert [s.full_name for s in load_simulations([f"{sims}/near"])] == ["heldout/near"]
    records = evaluate(["random"], [f"{sims}/near"], str(tmp_path / "s.duckdb"), console=Console(file=io.StringIO()))
    assert [len(r.episodes) for r in records] == [2] and records[0].episodes[0].step_count == 10
    run = metta_lit("compare", "random", "scripted", "--sims", str(sims), "--episodes", "2", cwd=tmp_path, check=False)
    assert run.returncode == 0 and "heldout/far" in run.stdout and "heldout/near" in run.stdout, run.stderr
    (tmp_path / "bad.yaml").write_text("simulations:\n  - {name: x, env: navigation, num_episods: 2}\n")
    with pytest.raises(ConfigError, match="num_episods"):
        load_simulations([str(tmp_path / "bad.yaml")])


def test_episodes_overrides_every_simulations_own_count(tmp_path):
    """``--episodes`` plays that many episodes of each simulation (a quick look); the count is
    part of what was evaluated, so it is a separate evaluation from the simulations' own."""
    quiet = Console(file=io.StringIO())
    db_path = str(tmp_path / "e.duckdb")
    records = evaluate(["random"], ["navigation/default", "navigation/sparse"], db_path, episodes=3, console=quiet)
    assert [len(r.episodes) for r in records] == [3, 3]
    (own,) = evaluate(["random"], ["navigation/sparse"], db_path, console=quiet)
    assert len(own.episodes) == load_simulations(["navigation/sparse"])[0].num_episodes != 3
    assert EvalStatsDB(db_path).count("episodes") == 6 + len(own.episodes)
    with pytest.raises(ConfigError, match="--episodes: must be >= 1, got 0"):
        evaluate(["random"], ["navigation/default"], db_path, episodes=0, console=quiet)


def test_simulations_of_each_group_size_play_exactly_their_agents(tmp_path):
    """The group-size commons is trained in 8 agent slots; its simulations of 2, 4 and 8 agents
    each play an env of that many (a policy of every slot would otherwise be a mismatch), and
    every episode records that many agents."""
    sims = ["commons_groups/agents_2", "commons_groups/agents_4", "commons_groups/agents_8"]
    assert [s.env_config().game.agent_slots for s in load_simulations(sims)] == [2, 4, 8]
    records = evaluate(["random"], sims, str(tmp_path / "s.duckdb"), episodes=2, console=Console(file=io.StringIO()))
    assert [{len(e.agent_metrics) for e in r.episodes} for r in records] == [{2}, {4}, {8}]
