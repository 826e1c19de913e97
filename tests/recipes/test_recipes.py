"""Recipes: discovery, listing, overrides, configs interchangeable with YAML, suites."""

from __future__ import annotations

import inspect
import io
import json
import shlex

import pytest
import yaml
from rich.console import Console

from metta_lit.cli import main as cli
from metta_lit.core.errors import ConfigError
from metta_lit.evaluation.stats_db import EvalStatsDB
from metta_lit.recipe_api import Baseline, Criterion, Job, Suite, TrainTool, discovery
from metta_lit.recipe_api.command import run_command
from metta_lit.recipe_api.overrides import parse_value, split_overrides
from metta_lit.runs import History
from tests.conftest import ROOT

TINY = ["num_envs=16", "eval_envs=2", 'env_overrides={"game.max_steps": 20}', "trainer.check_val_every_n_epoch=1000"]


def run(*argv: str) -> None:
    cli.main(["run", *argv])


def test_values_parse_like_the_original_run_tool():
    assert [parse_value(v) for v in ("true", "False", "null", "none", "1e6", "12", "-3", "0.5", "1e-3")] == [
        True,
        False,
        None,
        None,
        1_000_000,
        12,
        -3,
        0.5,
        0.001,
    ]
    assert parse_value('[1, "a"]') == [1, "a"] and parse_value('{"a": {"b": 2}}') == {"a": {"b": 2}}
    assert parse_value("file://./train_dir/x:latest") == "file://./train_dir/x:latest"
    with pytest.raises(ConfigError, match="not valid JSON"):
        parse_value("[1, 2")
    with pytest.raises(ConfigError, match="expected key=value"):
        split_overrides(["run"])


def test_list_shows_recipes_their_tools_and_the_recipes_providing_a_tool(capsys):
    run("--list")
    out = capsys.readouterr().out
    for name in ("prod.arena", "prod.arena_basic_easy_shaped", "prod.navigation", "experiment.arena_vit_contrastive"):
        assert name in out
    assert "validation.ci_suite" in out and "validation.stable_suite" in out
    run("train", "--list")
    out = capsys.readouterr().out
    assert "prod.navigation" in out and "ci_suite" not in out
    run("arena", "--list")
    out = capsys.readouterr().out
    assert all(tool in out for tool in ("train", "evaluate", "play", "replay", "analyze"))


def test_new_recipes_are_found_without_registration_and_a_broken_one_is_named(tmp_path, monkeypatch, capsys):
    package = tmp_path / "my_recipes"
    (package / "team").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "team" / "__init__.py").write_text("")
    (package / "team" / "maze.py").write_text(
        '"""A maze."""\nfrom metta_lit.recipe_api import TrainTool\n\n'
        'def train() -> TrainTool:\n    return TrainTool.from_yaml("configs/navigation.yaml")\n\n'
        "def helper() -> int:\n    return 1\n"
    )
    (package / "team" / "broken.py").write_text("def train(:\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(discovery, "PACKAGE", "my_recipes")
    recipes, broken = discovery.discover()
    assert [(r.name, list(r.tools)) for r in recipes] == [("team.maze", ["train"])]
    assert list(broken) == ["team.broken"] and "SyntaxError" in broken["team.broken"]
    run_command(["--list"], execute=cli.run)
    out = capsys.readouterr().out
    assert "team.maze" in out and "team.broken failed to import" in out and "SyntaxError" in out
    with pytest.raises(ConfigError, match="team.broken.*failed to import.*SyntaxError"):
        run_command(["train", "broken"], execute=cli.run)


def test_print_config_is_yaml_that_fit_reproduces_exactly(tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        run("train", "arena_basic_easy_shaped", "--print_config")
    assert done.value.code in (0, None)
    printed = capsys.readouterr().out
    config = yaml.safe_load(printed)
    assert config["model"]["init_args"]["curriculum"]["class_path"].endswith("LearningProgressCurriculum")
    assert (
        config["model"]["init_args"]["env"] == "arena_easy" and config["model"]["init_args"]["total_timesteps"] == 10**7
    )
    buckets = config["model"]["init_args"]["curriculum"]["init_args"]["buckets"]
    assert buckets["game.objects.altar.initial_resource_count"] == [0, 1]
    path = tmp_path / "shaped.yaml"
    path.write_text(printed)
    with pytest.raises(SystemExit):
        cli.main(["fit", "--config", str(path), "--print_config"])
    assert capsys.readouterr().out == printed


def test_a_yaml_config_can_name_a_recipe_as_its_base(tmp_path, capsys):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "recipe: arena_basic_easy_shaped\nrecipe_args: {curriculum: false}\n"
        "model:\n  init_args:\n    total_timesteps: 5000000\n"
    )
    with pytest.raises(SystemExit):
        cli.main(["fit", "--config", str(path), "--print_config"])
    config = yaml.safe_load(capsys.readouterr().out)["model"]["init_args"]
    assert config["total_timesteps"] == 5_000_000 and config["curriculum"] is None
    assert config["env"] == "arena_easy"


def test_overrides_reach_the_tool_and_unknown_keys_name_the_closest(capsys):
    tool = TrainTool.from_yaml("configs/arena.yaml")
    tool.apply(
        split_overrides(
            ["run=my_exp", "trainer.total_timesteps=1e6", "lr_schedule=cosine", "trainer.max_time=00:01:00:00"]
        )
    )
    assert tool.flags == [
        "--checkpoint.run",
        "my_exp",
        "--model.init_args.total_timesteps",
        "1000000",
        "--model.init_args.lr_schedule",
        "cosine",
        "--trainer.max_time",
        "00:01:00:00",
    ]
    with pytest.raises(ConfigError, match="unknown key 'total_timestep'.*total_timesteps"):
        tool.apply({"total_timestep": 5})
    with pytest.raises(SystemExit, match="unknown key 'polcy_uris'.*policy_uris"):
        run("evaluate", "arena", "polcy_uris=random")
    with pytest.raises(SystemExit, match="no recipe 'arnea'.*closest: arena"):
        run("train", "arnea")


def test_dry_run_resolves_and_prints_without_running(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run("arena.train", "run=dry", "total_timesteps=1e6", "--dry-run")
    out = capsys.readouterr().out
    assert "# prod.arena.train" in out and "--model.init_args.total_timesteps 1000000" in out
    assert "--checkpoint.run dry" in out and not (tmp_path / "train_dir").exists()


def test_a_command_tools_dry_run_prints_a_command_that_runs_the_same_arguments():
    """``--dry-run`` of evaluate, play, replay, analyze or experiment prints the tool's
    arguments as flags, and those flags parse to exactly what the tool would run with."""
    from metta_lit.commands import command_parser
    from metta_lit.recipe_api.tools import FunctionTool

    recipes, _ = discovery.discover()
    makers = [maker for recipe in recipes for maker in recipe.tools.values()]
    defaults = [m for m in makers if all(p.default is not p.empty for p in inspect.signature(m).parameters.values())]
    tools = [maker() for maker in defaults]
    tools = [tool for tool in tools if isinstance(tool, FunctionTool)]
    assert {tool.command for tool in tools} >= {"evaluate", "play", "replay", "analyze", "experiment"}
    for tool in tools:
        line = tool.describe().splitlines()[-1]
        assert line.startswith("# runs: metta-lit ") and "<config above>" not in line
        argv = shlex.split(line.removeprefix("# runs: metta-lit "))
        assert argv == tool.argv()
        parser = command_parser(tool.command)
        assert parser.parse_args(argv[1:]).as_dict() == parser.parse_object(tool.config).as_dict(), line


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_run_trains_then_evaluates_the_latest_policy(tmp_path, capsys):
    run("train", "navigation", "run=r1", f"data_dir={tmp_path}", "total_timesteps=2048", *TINY)
    assert sorted(p.name for p in (tmp_path / "r1" / "checkpoints").glob("*.mpt")) == ["r1:v1.mpt"]
    latest = f"file://{tmp_path}/r1/checkpoints/r1:latest"
    db = tmp_path / "stats.duckdb"
    run("evaluate", "navigation", f"policy_uris={latest}", f"stats_db={db}")
    assert EvalStatsDB(str(db)).count("episodes") > 0


def test_suites_judge_criteria_on_final_metrics_and_report_failures(tmp_path, capsys):
    history = History.parse(
        "overview/agent_steps,overview/episodes,env_agent/heart.gained,val/reward\n"
        "1000000,4,0.0,\n"
        "2000000,2,0.1,\n"
        ",,,3.0\n"
        "2500000,6,0.3,\n"
        "2550000,,,\n"  # no episode finished: not a zero
        "2600000,2,,\n"  # episodes finished and no agent made a heart: a zero
    )
    hearts = Criterion("env_agent/heart.gained", ">", 0.15, "test", window=1_000_000)
    # per agent-episode over the last 1M steps: (2 x 0.1 + 6 x 0.3 + 2 x 0) / 10
    assert hearts.measure(history) == pytest.approx(0.2) and hearts.passes(0.2) and not hearts.passes(None)
    assert Criterion("val/reward", ">", 2, "test").measure(history) == 3.0
    (tmp_path / "run" / "logs").mkdir(parents=True)
    with open(tmp_path / "run" / "logs" / "metrics.csv", "w") as f:
        f.write("overview/agent_steps,overview/episodes,episode/reward\n100,1,0.5\n200,1,1.5\n")
    suite = Suite(
        "t",
        [
            Job(
                "good",
                ["--help"],
                60,
                criteria=[Criterion("episode/reward", ">", 0.9, "t")],
                run_dir=str(tmp_path / "run"),
            ),
            Job(
                "high",
                ["--help"],
                60,
                criteria=[Criterion("episode/reward", ">", 5, "t")],
                run_dir=str(tmp_path / "run"),
                compare_with="good",
            ),
            Job("crash", ["run", "train", "no_such_recipe"], 60),
        ],
        json=str(tmp_path / "out.json"),
    )
    assert suite.run() is False
    written = json.loads((tmp_path / "out.json").read_text())
    results = {job["name"]: job for job in written["jobs"]}
    assert written["comparisons"] == ["high vs good: episode/reward 1.000 vs 1.000 (not higher, one run each)"]
    assert results["good"]["passed"] and results["good"]["measured"]["episode/reward"] == 1.0
    assert not results["high"]["passed"] and "missed" in results["high"]["reason"]
    assert not results["crash"]["passed"] and results["crash"]["exit_code"] != 0
    suite.select(["high"])  # brings the job it is compared with
    assert [job.name for job in suite.jobs] == ["good", "high"]
    suite.select(["good"])
    assert [job.name for job in suite.jobs] == ["good"]
    with pytest.raises(ConfigError, match="no job"):
        suite.select(["nope"])


def test_a_baseline_threshold_is_measured_when_the_job_is_judged(tmp_path):
    """``> 2 x random`` plays random on the same simulation, episodes and seed at judge time,
    so the threshold follows the suite's maps rather than a number typed once."""
    from metta_lit.evaluation.config import load_simulations
    from metta_lit.evaluation.runner import PolicyHandle, run_simulation

    (tmp_path / "run" / "logs").mkdir(parents=True)
    (tmp_path / "run" / "logs" / "metrics.csv").write_text("overview/agent_steps,val/reward\n100,0.9\n")
    baseline = Baseline("navigation/default", episodes=4, seed=3)
    job = Job(
        "j",
        ["--help"],
        60,
        criteria=[Criterion("val/reward", ">", 2, "2x random", baseline=baseline)],
        run_dir=str(tmp_path / "run"),
    )
    suite = Suite("t", [job], json=str(tmp_path / "out.json"))
    suite.run(Console(file=io.StringIO()))
    (sim,) = load_simulations(["navigation/default"])
    random = run_simulation(PolicyHandle.from_uri("random"), sim.model_copy(update={"num_episodes": 4}), seed=3)
    (judged,) = json.loads((tmp_path / "out.json").read_text())["jobs"][0]["criteria"]
    assert judged["baseline_value"] == pytest.approx(random.mean("reward")) and random.mean("reward") > 0
    assert judged["threshold"] == pytest.approx(2 * random.mean("reward"))
    assert json.loads((tmp_path / "out.json").read_text())["jobs"][0]["passed"] == (judged["threshold"] < 0.9)


def test_override_values_out_of_range_are_one_line_errors():
    with pytest.raises(ConfigError, match="5,000 characters"):
        parse_value("9" * 5000)
    with pytest.raises(ConfigError, match="nested too deeply"):
        parse_value('{"a":' * 60_000 + "1" + "}" * 60_000)
    assert parse_value("-1e-05") == -1e-05 and parse_value("12345678901234567890") == 12345678901234567890


def test_every_bucket_value_of_every_shipped_training_curriculum_compiles_against_its_batch():
    """A curriculum task may change an env's contents, not what a batch shares (map size,
    agents, resources): each recipe's default train tool, every value of every bucket (each
    changes the env alone, so the product's thousands of tasks need not all be compiled)."""
    from metta_lit.curriculum.tasks import TaskSpace
    from metta_lit.env import MettaGridVecEnv, env_config

    recipes, broken = discovery.discover()
    assert not broken
    checked = []
    for recipe in recipes:
        if "train" not in recipe.tools:
            continue
        model = recipe.tools["train"]().config["model"]["init_args"]
        buckets = (model.get("curriculum") or {}).get("init_args", {}).get("buckets")
        if not buckets:
            continue
        base = env_config(model["env"]).with_overrides(model.get("env_overrides") or {})
        vec = MettaGridVecEnv(base, num_envs=1)
        for key, values in buckets.items():
            space = TaskSpace({key: values})  # a key may name several that take its value together
            for k, value in enumerate(values):  # a ConfigError names the task
                vec.compile_task(base.with_overrides(space.task(k).overrides), f"{recipe.short}: {key}={value}")
        checked.append(recipe.short)
    assert {"object_use", "navigation_sequence", "in_context_learning", "group_size"} <= set(checked)


def test_a_suite_comparison_quotes_the_experiment_that_measured_it(tmp_path, monkeypatch):
    """One pair of runs is no verdict: the comparison names the experiment that decides it and,
    where that experiment has been run, quotes its verdict with seeds and intervals."""
    from metta_lit.recipe_api.suite import JobResult

    monkeypatch.chdir(tmp_path)
    study = yaml.safe_load((ROOT / "configs" / "experiments" / "smoke.yaml").read_text()) | {"name": "study"}
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(study))
    criterion = Criterion("episode/reward", ">", 0, "t")
    suite = Suite(
        "t",
        [
            Job("a", [], 1, criteria=[criterion], compare_with="b", experiment="study.yaml"),
            Job("b", [], 1, criteria=[criterion]),
        ],
    )
    results = {
        name: JobResult(name, True, 1.0, 0, "", {"episode/reward": value}) for name, value in (("a", 2.0), ("b", 1.0))
    }
    unmeasured = "a vs b: episode/reward 2.000 vs 1.000 (higher, one run each); the answer with seeds: metta-lit experiment --config study.yaml"
    assert suite.comparisons(results) == [unmeasured]
    verdict = "default vs no_entropy on reward: these seeds cannot tell (+0.1 [-0.2, 0.4])"
    report = {"provenance": {}, "results": {"metrics": {"reward": {"verdicts": [verdict]}}}}
    (tmp_path / "results" / "study").mkdir(parents=True)
    (tmp_path / "results" / "study" / "experiment.json").write_text(json.dumps(report))
    assert suite.comparisons(results) == [
        unmeasured,
        f"  measured with seeds (results/study/experiment.json): {verdict}",
    ]


def test_the_teams_job_fails_on_any_collapse_in_the_run():
    from metta_lit.recipes.validation.stable_suite import NO_COLLAPSE, stable

    steady = History.parse("overview/agent_steps,diag/collapse\n1000000,0\n5000000,0\n10000000,0\n")
    collapsed = History.parse("overview/agent_steps,diag/collapse\n1000000,0\n1800000,1\n10000000,0\n")
    assert NO_COLLAPSE.passes(NO_COLLAPSE.measure(steady))
    assert not NO_COLLAPSE.passes(NO_COLLAPSE.measure(collapsed))  # early in the run, still counted
    assert "teams_2v2" in [job.name for job in stable("unused").jobs]
