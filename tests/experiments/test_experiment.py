"""``metta-lit experiment`` end to end: the smoke experiment trains, scores and reports; killed
with -9 and rerun it ends exactly where an uninterrupted one does; bad input is one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from metta_lit.core.errors import ConfigError
from metta_lit.core.processes import error_line, last_error
from metta_lit.evaluation.stats_db import EvalStatsDB
from metta_lit.experiments import ExperimentConfig
from metta_lit.experiments.launchers import ray_task_status
from metta_lit.experiments.runner import Experiment
from tests.conftest import ROOT, processes_naming, ray_cluster, refused

SMOKE = ROOT / "configs" / "experiments" / "smoke.yaml"


def config_file(tmp_path: Path, **changes) -> Path:
    """The smoke experiment writing under ``tmp_path``, one torch thread per run (bit-identical
    training however the machine's load moves), with ``changes``."""
    data = yaml.safe_load(SMOKE.read_text())
    data["output_dir"] = str(tmp_path / "experiments")
    data["overrides"]["model.init_args.torch_threads"] = 1
    data.update(changes)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def experiment(config: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "metta_lit.cli", "experiment", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_smoke_experiment_reports_and_a_killed_one_resumes_to_the_same_result(tmp_path):
    """The smoke experiment at one seed per arm, killed with -9 once its second run has saved a
    checkpoint: its children die with it; the same command then does not train the finished run
    again, resumes the killed one from its checkpoint, scores and reports everything. The
    resumed run scores what the same run trained without interruption does (the runs are
    deterministic at one torch thread, so the run never interrupted scores as in an
    uninterrupted experiment too). One seed, not the file's three: each run is two processes
    of mostly start-up, and the statistics over several runs are tested on hand-made tables
    (test_statistics.py)."""
    parts = config_file(tmp_path / "parts", seeds=1)
    out = tmp_path / "parts" / "experiments" / "smoke"
    driver = subprocess.Popen(
        [sys.executable, "-m", "metta_lit.cli", "experiment", "--config", str(parts)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    second = out / "train_dir" / "smoke.no_entropy.s0" / "checkpoints" / "last.ckpt"
    deadline = time.time() + 600
    while not second.exists():
        assert time.time() < deadline and driver.poll() is None, "the second run never saved a checkpoint"
        time.sleep(0.2)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    deadline = time.time() + 30
    while processes_naming(str(out)):
        assert time.time() < deadline, f"runs outlived the killed driver: {processes_naming(str(out))}"
        time.sleep(0.2)
    first_log = (out / "logs" / "smoke.default.s0.fit.log").read_text()
    done = experiment(parts)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (out / "logs" / "smoke.default.s0.fit.log").read_text() == first_log  # not trained again
    assert "resuming run 'smoke.no_entropy.s0'" in (out / "logs" / "smoke.no_entropy.s0.fit.log").read_text()
    document = json.loads((out / "experiment.json").read_text())["results"]
    assert [r["status"] for r in document["runs"]] == ["done"] * 2
    reward = document["metrics"]["reward"]
    assert set(reward["arms"]) == {"default", "no_entropy"} and all(a["runs"] == 1 for a in reward["arms"].values())
    assert all(len(points) == 2 for points in reward["curves"].values())  # the scored points along the budget
    assert len(reward["pairs"]) == 1 and "heart.gained" in document["metrics"]
    assert done.stdout.count("verdict: ") == 2, done.stdout[-2000:]  # one pair, two metrics
    for plot in ("curves_reward.png", "profiles_reward.png", "curves_heart_gained.png"):
        assert (out / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Every run's every scored version is in the stats DB, as its run name and version.
    assert len(EvalStatsDB(str(out / "stats.duckdb")).policies()) == 2 * 2
    # The same command again trains and scores nothing, and reports the same.
    logs = {p.name: p.stat().st_size for p in (out / "logs").iterdir()}
    again = experiment(parts)
    assert again.returncode == 0 and {p.name: p.stat().st_size for p in (out / "logs").iterdir()} == logs
    assert json.loads((out / "experiment.json").read_text())["results"]["metrics"] == document["metrics"]

    # The killed run, trained without interruption.
    whole = config_file(tmp_path / "whole", arms=[yaml.safe_load(SMOKE.read_text())["arms"][1]], seeds=[0])
    alone = experiment(whole)
    assert alone.returncode == 0, alone.stdout[-3000:] + alone.stderr[-3000:]
    [reference] = json.loads((tmp_path / "whole" / "experiments" / "smoke" / "experiment.json").read_text())["results"][
        "runs"
    ]
    [resumed] = [r for r in document["runs"] if r["run"] == "smoke.no_entropy.s0"]
    assert resumed["scores"] == reference["scores"]


def test_bad_experiment_files_are_one_clear_error(tmp_path):
    base = yaml.safe_load(SMOKE.read_text())
    cases = {
        "grid with no values": ({"arms": None, "grid": {"model.init_args.ent_coef": []}}, "has no values"),
        "seeds <= 0": ({"seeds": 0}, "seeds: a count >= 1"),
        "same names": ({"arms": [{"name": "a"}, {"name": "a"}]}, "two arms are named a"),
        "arms and grid": ({"grid": {"model.init_args.ent_coef": [0.0]}}, "give either 'arms'"),
        "no scoring": ({"scoring": None}, "scoring"),
    }
    for name, (changes, message) in cases.items():
        path = tmp_path / f"{name.replace(' ', '_')}.yaml"
        path.write_text(yaml.safe_dump({**base, **changes}))
        with pytest.raises(ConfigError, match=message):
            ExperimentConfig.load(str(path))


def test_an_unknown_override_or_launcher_is_one_line(tmp_path, monkeypatch, capsys):
    unknown = config_file(tmp_path, arms=[{"name": "typo", "overrides": {"model.init_args.ent_coeff": 0.1}}])
    message = refused(capsys, "experiment", "--config", str(unknown))
    assert "arm 'typo'" in message and "ent_coeff" in message, message[-2000:]
    assert "slurm" in refused(capsys, "experiment", "--config", str(config_file(tmp_path)), "--launcher", "pbs")
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))  # no sbatch there
    message = refused(capsys, "experiment", "--config", str(config_file(tmp_path)), "--launcher", "slurm")
    assert "sbatch is not on PATH" in message, message[-2000:]


@pytest.mark.slow
def test_the_slurm_launcher_submits_an_array_whose_tasks_each_run_one_run(tmp_path):
    """A stand-in ``sbatch`` records the script; one array task's command trains and scores
    its run; the report then covers what is scored."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sbatch").write_text(f'#!/bin/sh\ncp "$1" {tmp_path}/submitted.sbatch\necho Submitted batch job 42\n')
    (bin_dir / "sbatch").chmod(0o755)
    config = config_file(tmp_path)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONWARNINGS": "ignore"}
    submit = subprocess.run(
        [sys.executable, "-m", "metta_lit.cli", "experiment", "--config", str(config), "--launcher", "slurm"],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert submit.returncode == 0 and "Submitted batch job 42: 6 runs of smoke" in submit.stdout, submit.stderr[-2000:]
    script = (tmp_path / "submitted.sbatch").read_text()
    assert "#SBATCH --array=0,1,2,3,4,5" in script and "--run_index $SLURM_ARRAY_TASK_ID" in script
    task = experiment(config, "--run_index", "3")  # what array task 3 runs: no_entropy, seed 0
    assert task.returncode == 0, task.stderr[-2000:]
    scored = tmp_path / "experiments" / "smoke" / "train_dir" / "smoke.no_entropy.s0" / "scores.json"
    assert scored.is_file()
    report = experiment(config, "--report_only", "true")
    assert report.returncode == 0 and "no_entropy" in report.stdout, report.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_ray_launcher_runs_each_run_as_a_task_then_reports(tmp_path):
    """A one-run experiment as a task on a one-machine Ray cluster: the task trains and scores
    the run, the driver writes the same report as the local pool does."""
    config = config_file(tmp_path, arms=[{"name": "default"}], seeds=1)
    with ray_cluster() as (address, env):
        run = subprocess.run(
            [sys.executable, "-m", "metta_lit.cli", "experiment", "--config", str(config),
             "--launcher", "ray", "--ray_address", address],
            capture_output=True, text=True, timeout=500, env={**env, "PYTHONWARNINGS": "ignore"},
        )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    folder = tmp_path / "experiments" / "smoke"
    document = json.loads((folder / "experiment.json").read_text())["results"]
    assert [(r["run"], r["status"]) for r in document["runs"]] == [("smoke.default.s0", "done")]
    assert document["metrics"]["reward"]["arms"]["default"]["runs"] == 1
    assert len(EvalStatsDB(str(folder / "stats.duckdb")).policies()) == 2  # both scored points
    not_ray = experiment(config, "--ray_address", address)
    assert not_ray.returncode != 0 and "only with --launcher ray" in not_ray.stderr, not_ray.stderr[-2000:]


def test_an_unchanged_experiment_is_not_checked_twice(tmp_path, monkeypatch):
    """The arms' checks (a ``fit --print_config`` each) are remembered in plan.json: a rerun, a
    report or a cluster task of the same experiment skips them; any changed override does not."""
    from metta_lit.experiments import Experiment, runner

    config = ExperimentConfig.load(str(config_file(tmp_path)))
    first = Experiment(config)
    first.prepare()
    batch = first.batch

    def no_checks(*args, **kwargs):
        raise AssertionError("the arms were checked again")

    monkeypatch.setattr(runner.subprocess, "run", no_checks)
    again = Experiment(config)
    again.prepare()
    assert again.batch == batch == {"default": 16 * 4 * 32, "no_entropy": 16 * 4 * 32}
    changed = ExperimentConfig.load(str(config_file(tmp_path, overrides={"model.init_args.num_envs": 8})))
    with pytest.raises(AssertionError, match="checked again"):
        Experiment(changed).prepare()


def test_every_shipped_experiment_file_loads():
    """The studies the docs describe are valid experiment files (their arms' overrides were
    checked with ``fit --print_config`` when they were written; a test of that would start a
    process per arm), and each compares something: arms, or the simulations within an arm."""
    shipped = sorted((ROOT / "configs" / "experiments").glob("*.yaml"))
    assert {p.stem for p in shipped} >= {
        "smoke",
        "reward_sharing",
        "arena_curriculum",
        "in_context_lessons",
        "group_size",
    }
    for path in shipped:
        config = ExperimentConfig.load(str(path))
        compares = len(config.arm_list()) >= 2 or (
            config.scoring.by_simulation and len(config.scoring.simulations) >= 2
        )
        assert config.name == path.stem and compares


def test_a_failed_childs_report_is_its_error_line(tmp_path):
    """A failed run (or sweep trial) is reported by the line of its log that says the error,
    not by the traceback frames or log lines after it."""
    log = tmp_path / "run.log"
    log.write_text(
        "[metta-lit] run 'x': writing to train_dir/x\n"
        "metta-lit fit: error: no field 'model.init_args.totl_timesteps'\n"
        "[metta-lit] bye\n\n"
    )
    assert last_error(log) == "metta-lit fit: error: no field 'model.init_args.totl_timesteps'"
    assert error_line('Traceback (most recent call last):\n  File "x", line 1\nValueError: bad\n') == "ValueError: bad"
    assert error_line("only a line\n") == "only a line" and error_line("") == "no output"
    assert last_error(tmp_path / "missing.log") == "no log"


def test_a_ray_task_waits_until_its_run_writes_a_log(tmp_path):
    """Ray may start only some of the submitted runs at once: a run counts as training once
    its fit log is written after submission (a log of an earlier try does not count), and as
    scoring once its score log is."""
    exp = Experiment(ExperimentConfig.load(str(config_file(tmp_path))))
    run = exp.runs[0]
    exp.logs.mkdir(parents=True)
    fit_log = exp.logs / f"{run.name}.fit.log"
    fit_log.write_text("an earlier try")
    os.utime(fit_log, (1, 1))
    submitted = time.time() - 1
    assert ray_task_status(exp, run, submitted) == "waiting"
    fit_log.write_text("started")
    assert ray_task_status(exp, run, submitted) == "training"
    (exp.logs / f"{run.name}.score.log").write_text("scoring")
    assert ray_task_status(exp, run, submitted) == "scoring"


def test_plot_file_names_hold_no_character_a_shell_would_expand():
    from metta_lit.experiments.report import safe

    assert safe("coop/*/gini") == "coop_gini" and safe("heart.gained") == "heart_gained" and safe("reward") == "reward"
