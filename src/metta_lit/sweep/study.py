"""Running a sweep: Optuna study in shared storage, each trial a ``metta-lit fit`` subprocess.

A trial's run (``<study>.t<NNN>``) is an ordinary training run with its own checkpoints and
policy URIs. While it trains, its ``logs/metrics.csv`` is read every few seconds: each new
value of the objective metric is reported to Optuna (step = agent steps), and when the pruner
says so the run is stopped with SIGINT (it saves and exits). The trial's value is the metric's
last value; a run that fails, or never logs the metric, is a failed trial, and a NaN value is
recorded by Optuna as failed too: none of them stops the sweep.

Several workers (processes on this machine) share the storage. Creating a trial happens under
a file lock after counting the finished and running ones, so the study stops at exactly
``n_trials``; a trial left RUNNING by a killed worker (its process is gone) is marked failed
when a worker starts, so running the same command again resumes the sweep.
"""

from __future__ import annotations

import csv
import fcntl
import math
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from metta_lit.shipped import find_config
from metta_lit.sweep.config import Param, SweepConfig, flags

POLL_S = 2.0
COUNTED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING)


class TrialFailed(Exception):
    """The trial's run failed or never logged the objective metric (Optuna records FAIL)."""


def storage(config: SweepConfig) -> optuna.storages.BaseStorage:
    path = config.storage_path
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix in (".log", ".journal"):
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        return JournalStorage(JournalFileBackend(str(path)))
    return optuna.storages.RDBStorage(f"sqlite:///{path}", engine_kwargs={"connect_args": {"timeout": 60}})


def pruner(config: SweepConfig) -> optuna.pruners.BasePruner:
    p = config.pruner
    if p.type == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=p.n_startup_trials, n_warmup_steps=p.n_warmup_steps)
    if p.type == "threshold":
        return optuna.pruners.ThresholdPruner(lower=p.lower, upper=p.upper, n_warmup_steps=p.n_warmup_steps)
    return optuna.pruners.NopPruner()


def load_study(config: SweepConfig) -> optuna.Study:
    return optuna.create_study(
        study_name=config.study,
        storage=storage(config),
        direction=config.objective.direction,
        sampler=optuna.samplers.TPESampler(seed=config.seed),
        pruner=pruner(config),
        load_if_exists=True,
    )


def suggest(trial: optuna.Trial, key: str, param: Param) -> Any:
    if param.type == "log_uniform":
        return trial.suggest_float(key, param.low, param.high, log=True)
    if param.type == "uniform":
        return trial.suggest_float(key, param.low, param.high)
    if param.type == "int":
        return trial.suggest_int(key, int(param.low), int(param.high))
    return trial.suggest_categorical(key, param.choices)


def trial_run(config: SweepConfig, number: int) -> str:
    return f"{config.study}.t{number:03d}"


def fit_command(config: SweepConfig, run: str, params: dict[str, Any]) -> list[str]:
    """``metta-lit fit`` for one trial: the base config, the fixed overrides, the trial's values."""
    return [
        *("metta-lit", "fit", "--config", str(find_config(config.base_config))),
        *flags(config.overrides),
        *flags(params),
        *("--checkpoint.run", run, "--checkpoint.data_dir", config.data_dir),
    ]


def metric_values(metrics_csv: Path, metric: str) -> list[tuple[int, float]]:
    """(agent steps, value) for every row of the run's history that logged ``metric``."""
    if not metrics_csv.is_file():
        return []
    with open(metrics_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    out = []
    for row in rows:
        if row.get(metric):
            steps = row.get("overview/agent_steps") or row.get("step") or "0"
            out.append((int(float(steps or 0)), float(row[metric])))
    return out


def fail_orphaned_trials(study: optuna.Study) -> None:
    """Marks failed the RUNNING trials of this machine whose worker process is gone."""
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        pid, host = trial.user_attrs.get("worker_pid"), trial.user_attrs.get("worker_host")
        if host == socket.gethostname() and pid is not None and not _alive(pid):
            study.tell(trial.number, state=TrialState.FAIL)
            print(f"[metta-lit] trial {trial.number}: its worker (pid {pid}) is gone; marked failed", flush=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Worker:
    """One sweep worker: runs trials until the study has ``n_trials`` finished or running."""

    def __init__(self, config: SweepConfig, worker: int = 0) -> None:
        self.config = config
        self.study = load_study(config)
        # Seeded per worker and per start, so neither another worker nor a resumed sweep
        # draws the points already drawn.
        self.study.sampler = optuna.samplers.TPESampler(seed=config.seed + 1000 * worker + len(self.study.trials))
        self.lock = config.storage_path.with_suffix(".lock")
        self.logs = Path(config.output_dir) / config.study / "logs"
        self._lock = None

    def run(self) -> None:
        self._acquire()
        try:
            fail_orphaned_trials(self.study)
        finally:
            self._release()
        while self._start_next():
            pass

    def _acquire(self) -> None:
        self.lock.parent.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.lock, "a")  # noqa: SIM115 (released by _release, maybe inside the objective)
        fcntl.flock(self._lock, fcntl.LOCK_EX)

    def _start_next(self) -> bool:
        """Under the lock: counts, and if a trial is still wanted, starts one (the objective
        releases the lock once its trial exists in the storage)."""
        self._acquire()
        try:
            if len(self.study.get_trials(deepcopy=False, states=COUNTED)) >= self.config.n_trials:
                return False
            self.study.optimize(self._objective, n_trials=1, catch=(TrialFailed,))
            return True
        finally:
            self._release()

    def _release(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def _objective(self, trial: optuna.Trial) -> float:
        trial.set_user_attr("worker_pid", os.getpid())
        trial.set_user_attr("worker_host", socket.gethostname())
        self._release()  # the trial is in the storage: other workers may count it now
        params = {key: suggest(trial, key, param) for key, param in self.config.search_space.items()}
        run = trial_run(self.config, trial.number)
        trial.set_user_attr("run", run)
        trial.set_user_attr("policy_uri", f"{Path(self.config.data_dir).absolute()}/{run}/checkpoints/{run}:latest")
        return self._train(trial, run, params)

    def _train(self, trial: optuna.Trial, run: str, params: dict[str, Any]) -> float:
        command = fit_command(self.config, run, params)
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{run}.log"
        metrics = Path(self.config.data_dir) / run / "logs" / "metrics.csv"
        print(f"[metta-lit] trial {trial.number} ({run}): {' '.join(command[2:])}", flush=True)
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "metta_lit.cli", *command[1:]], stdout=out, stderr=subprocess.STDOUT
            )
        reported, pruned = 0, False
        while True:
            done = proc.poll() is not None
            values = metric_values(metrics, self.config.objective.metric)
            for steps, value in values[reported:]:
                if math.isfinite(value) and not pruned:
                    trial.report(value, steps)
                    if trial.should_prune():
                        pruned = True
                        proc.send_signal(signal.SIGINT)  # the run saves and stops
            reported = len(values)
            if done:
                break
            time.sleep(POLL_S)
        if pruned:
            raise optuna.TrialPruned(f"pruned at {values[-1][0]:,} agent steps")
        if proc.returncode != 0:
            raise TrialFailed(f"trial {trial.number}: {run} exited with code {proc.returncode} (log: {log})")
        if not values:
            raise TrialFailed(f"trial {trial.number}: {run} never logged {self.config.objective.metric!r} (log: {log})")
        return values[-1][1]  # NaN is recorded as a failed trial by Optuna
