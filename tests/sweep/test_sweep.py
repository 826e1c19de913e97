"""``metta-lit sweep``: Optuna trials as real ``metta-lit fit`` runs, several workers on one
storage, pruning, resuming after a kill, and NaN objectives as failed trials."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from metta_lit.checkpoints.uri import resolve_policy_uri
from metta_lit.runs import History
from metta_lit.sweep.config import SweepConfig
from metta_lit.sweep.study import load_study
from tests.conftest import EPOCH, NAV, processes_naming

TINY = {
    "base_config": NAV,
    "objective": {"metric": "evaluator/eval_navigation/score"},
    "search_space": {
        "model.init_args.learning_rate": {"type": "log_uniform", "low": 1e-4, "high": 3e-3},
        "model.init_args.bptt_horizon": {"type": "categorical", "choices": [16, 32]},
    },
    "overrides": {
        "model.init_args.num_envs": 16,
        "model.init_args.eval_envs": 2,
        "model.init_args.env_overrides": {"game.max_steps": 20},
        "trainer.check_val_every_n_epoch": 1000,
        "model.init_args.total_timesteps": 4 * EPOCH,
        "evaluator.suite": "navigation",
        "evaluator.evaluate_interval": 2,
        "evaluator.num_episodes": 1,
    },
    "pruner": {"type": "none"},
}


def write_config(tmp_path: Path, name: str, **fields) -> Path:
    """A sweep file ``<name>.yaml`` of study ``name`` (``fields`` override, even the study)."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({**TINY, "study": name, "storage": f"sweeps/{name}.db", **fields}))
    return path


def sweep(tmp_path: Path, config: Path, *extra: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "metta_lit.cli", "sweep", "--config", str(config), *extra],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        **popen,
    )


def finish(proc: subprocess.Popen, timeout: float = 500) -> str:
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out[-5000:]
    return out


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_four_trial_sweep_with_two_workers(tmp_path, monkeypatch):
    config = write_config(tmp_path, "four", n_trials=4, workers=2)
    out = finish(sweep(tmp_path, config))
    results = json.loads((tmp_path / "sweeps" / "four" / "trials.json").read_text())
    assert [t["state"] for t in results["trials"]] == ["COMPLETE"] * 4
    assert sorted(t["run"] for t in results["trials"]) == [f"four.t00{n}" for n in range(4)]
    for trial in results["trials"]:  # each trial is a training run with its own policy URIs
        run = trial["run"]
        assert f"/train_dir/{run}/checkpoints/{run}:v" in resolve_policy_uri(trial["policy_uri"])
    monkeypatch.chdir(tmp_path)  # the storage path is relative to where the sweep ran
    study = load_study(SweepConfig.load(str(config)))
    assert len({t.user_attrs["worker_pid"] for t in study.trials}) == 2  # both workers ran trials
    best = max(results["trials"], key=lambda t: t["value"])
    assert (
        results["best_command"].startswith("metta-lit fit --config ")
        and "--checkpoint.run four.best" in results["best_command"]
    )
    assert (
        f"--model.init_args.learning_rate {best['params']['model.init_args.learning_rate']}" in results["best_command"]
    )
    assert "run it with:" in out and "parameter importance plot" in out
    assert (tmp_path / "sweeps" / "four" / "importance.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(results["importances"]) == set(TINY["search_space"])


@pytest.mark.slow
def test_a_trial_the_pruner_rejects_is_stopped_early(tmp_path):
    config = write_config(tmp_path, "pruned", n_trials=1, pruner={"type": "threshold", "lower": 1e9})
    overrides = {**TINY["overrides"], "model.init_args.total_timesteps": 40 * EPOCH}
    config.write_text(yaml.safe_dump({**yaml.safe_load(config.read_text()), "overrides": overrides}))
    finish(sweep(tmp_path, config))
    [trial] = json.loads((tmp_path / "sweeps" / "pruned" / "trials.json").read_text())["trials"]
    assert trial["state"] == "PRUNED"
    steps = [s for s, _ in History.read(tmp_path / "train_dir" / trial["run"]).series("overview/agent_steps")]
    assert steps and steps[-1] < 40 * EPOCH  # the run was stopped, not trained to its budget


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_killed_sweep_resumes_with_the_same_command(tmp_path):
    config = write_config(tmp_path, "resumed", n_trials=2, workers=1, storage="sweeps/resumed.log")  # journal storage
    proc = sweep(tmp_path, config, start_new_session=True)
    second_log = tmp_path / "sweeps" / "resumed" / "logs" / "resumed.t001.log"
    deadline = time.monotonic() + 300
    while not second_log.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the worker and its trial's training run
    proc.wait()
    out = finish(sweep(tmp_path, config))
    assert "trial 1: its worker" in out and "marked failed" in out
    states = [t["state"] for t in json.loads((tmp_path / "sweeps" / "resumed" / "trials.json").read_text())["trials"]]
    assert states == ["COMPLETE", "FAIL", "COMPLETE"]


def test_a_nan_objective_is_a_failed_trial_not_a_crash(tmp_path):
    metrics = tmp_path / "metrics.csv"
    metrics.write_text("overview/agent_steps,evaluator/eval_navigation/score\n2048,0.5\n4096,nan\n")
    values = History.read(metrics).series("evaluator/eval_navigation/score")
    assert values[0] == (2048, 0.5) and values[1][0] == 4096
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 's.db'}")
    study.optimize(lambda trial: values[-1][1], n_trials=1)  # the value a worker returns
    assert study.trials[0].state == TrialState.FAIL


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"search_space": {"model.init_args.learning_rate": {"type": "log_uniform", "low": 0, "high": 1}}},
            "log_uniform needs low > 0",
        ),
        ({"search_space": {"x": {"type": "categorical"}}}, "categorical takes 'choices'"),
        ({"n_trial": 3}, "n_trial"),
        ({"search_space": {"model.init_args.update_epochs": {"type": "int", "low": 1, "high": 1.0e30}}}, "whole"),
        ({"search_space": {"model.init_args.ent_coef": {"type": "uniform", "low": 0, "high": float("inf")}}}, "finite"),
        ({"study": "../../../x"}, "study"),
        ({"study": "/tmp/x"}, "study"),
        ({"storage": ""}, "storage"),
    ],
)
def test_a_bad_sweep_file_names_the_problem(tmp_path, change, message):
    config = write_config(tmp_path, "bad", n_trials=1, **change)
    proc = subprocess.run(
        [sys.executable, "-m", "metta_lit.cli", "sweep", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode != 0 and message in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("kind", ["garbage", "empty", "folder", "foreign", "truncated", "devnull"])
def test_unusable_storage_is_refused_by_name(tmp_path, kind):
    import sqlite3

    path = tmp_path / "sweeps" / "s.db"
    path.parent.mkdir()
    if kind == "garbage":
        path.write_bytes(b"this is no database" * 50)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "folder":
        path.mkdir()
    elif kind == "foreign":
        with sqlite3.connect(path) as con:
            con.execute("CREATE TABLE notes (text TEXT)")
    elif kind == "truncated":
        study = optuna.create_study(study_name="s", storage=f"sqlite:///{path}")
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        path.write_bytes(path.read_bytes()[:3000])
    config = write_config(tmp_path, "s", n_trials=1, storage="/dev/null" if kind == "devnull" else str(path))
    proc = subprocess.run(
        [sys.executable, "-m", "metta_lit.cli", "sweep", "--config", str(config), "--report_only", "true"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode != 0 and "storage" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    if kind == "foreign":
        with sqlite3.connect(path) as con:  # left as it was: no Optuna tables added
            assert [r[0] for r in con.execute("SELECT name FROM sqlite_master")] == ["notes"]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_failing_trials_count_and_stop_the_sweep_with_the_first_error(tmp_path, monkeypatch):
    overrides = {**TINY["overrides"], "model.init_args.totl_timesteps": 5}  # every fit refuses this
    config = write_config(tmp_path, "failing", n_trials=10, workers=3, overrides=overrides)
    proc = sweep(tmp_path, config)
    out, _ = proc.communicate(timeout=280)
    assert proc.returncode != 0
    assert "3 worker(s)" in out and "3 trials failed in a row" in out and "totl_timesteps" in out, out[-3000:]
    monkeypatch.chdir(tmp_path)  # the storage path is relative to where the sweep ran
    study = load_study(SweepConfig.load(str(config)))
    failed = [t for t in study.trials if t.state == TrialState.FAIL]
    # Before the third failure is stored, at most two are, and each of 3 workers runs one trial.
    assert 3 <= len(failed) <= 5 and all("totl_timesteps" in t.user_attrs["error"] for t in failed)
    single = write_config(tmp_path, "single", n_trials=1, workers=6, overrides=overrides)
    proc = sweep(tmp_path, single)
    out, _ = proc.communicate(timeout=120)
    assert "1 trials left, 1 worker(s)" in out  # no worker without a trial to run
    # Fewer failures than stop a sweep, but none succeeded: no result, so not exit 0; one line
    # per failed trial and the first failure's reason, no Optuna traceback.
    assert proc.returncode == 1 and "Traceback" not in out, out[-3000:]
    assert "[metta-lit] trial 0 failed: " in out and out.strip().splitlines()[-1].startswith(
        "metta-lit sweep: error: sweep single: every trial failed (1); the first: "
    ), out[-3000:]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_killed_sweep_worker_takes_its_training_run_with_it(tmp_path):
    overrides = {**TINY["overrides"], "model.init_args.total_timesteps": 10**9}
    config = write_config(tmp_path, "orphan", n_trials=1, overrides=overrides)
    proc = sweep(tmp_path, config)
    deadline = time.monotonic() + 200
    while not processes_naming("orphan.t000"):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    proc.kill()  # SIGKILL to the worker alone: nothing of it runs to clean up
    proc.wait()
    deadline = time.monotonic() + 20
    while processes_naming("orphan.t000") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not processes_naming("orphan.t000")


def test_a_grid_sweep_runs_each_combination_of_its_choices_once():
    from metta_lit.sweep.study import sampler, suggest

    config = SweepConfig.load("configs/sweeps/reward_sharing.yaml")
    assert config.sampler == "grid" and config.n_trials == 3
    study = optuna.create_study(sampler=sampler(config, seed=0))
    drawn = []

    def objective(trial: optuna.Trial) -> float:
        drawn.append({k: suggest(trial, k, p) for k, p in config.search_space.items()})
        return 0.0

    study.optimize(objective, n_trials=10)  # the grid stops the study once every point ran
    shares = sorted(
        json.loads(d["model.init_args.env_overrides"])["game.groups.team_1.group_reward_pct"] for d in drawn
    )
    assert shares == [0.0, 0.5, 1.0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sampler": "grid", "n_trials": 2}, "must be categorical"),
        (
            {
                "sampler": "grid",
                "n_trials": 3,
                "search_space": {"model.init_args.bptt_horizon": {"type": "categorical", "choices": [16, 32]}},
            },
            "n_trials must be the grid's 2 combinations, got 3",
        ),
    ],
)
def test_a_grid_sweep_needs_categorical_choices_and_their_number_of_trials(tmp_path, change, message):
    with pytest.raises(Exception, match=message):
        SweepConfig.load(str(write_config(tmp_path, "grid", **change)))
