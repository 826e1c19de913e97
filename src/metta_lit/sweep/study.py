"""Running a sweep: Optuna study in shared storage, each trial a ``metta-lit fit`` subprocess.

A trial's run (``<study>.t<NNN>``) is an ordinary training run with its own checkpoints and
policy URIs. While it trains, its ``logs/metrics.csv`` is read every few seconds: each new
value of the objective metric is reported to Optuna (step = agent steps), and when the pruner
says so the run is stopped with SIGINT (it saves and exits). The trial's value is the metric's
last value; a run that fails, or never logs the metric, is a failed trial, and a NaN value is
recorded by Optuna as failed too. Failed trials count toward ``n_trials``, and
``max_consecutive_failures`` failures in a row stop the sweep with the first one's error (a
metric typo or a refused override fails every trial alike). A training run dies with its
worker (:mod:`metta_lit.core.processes`).

Several workers (processes on this machine) share the storage. Creating a trial happens under
a file lock after counting the finished and running ones, so the study stops at exactly
``n_trials``; a trial left RUNNING by a killed worker (its process is gone) is marked failed
(without an error: not counted) when a worker starts, so running the same command again resumes
the sweep.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import optuna
from filelock import FileLock
from optuna.trial import TrialState
from sqlalchemy.exc import SQLAlchemyError

from metta_lit.core.errors import ConfigError, MettaLitError
from metta_lit.core.flags import flags
from metta_lit.core.packaged import find_config
from metta_lit.core.processes import child_env, last_error, metta_lit_command
from metta_lit.runs import History, RunDir
from metta_lit.sweep.config import Param, SweepConfig

POLL_S = 2.0
ERROR = "error"  # user attribute: why a trial failed (a FAIL without one lost its worker: not counted)


class TrialFailed(Exception):
    """The trial's run failed or never logged the objective metric (Optuna records FAIL)."""


class SweepStopped(MettaLitError):
    """Too many trials failed in a row: the sweep cannot succeed as configured."""


def _without_trial_failed_tracebacks(record: logging.LogRecord) -> bool:
    """Optuna logs each caught exception with its traceback; a TrialFailed has printed its
    one-line reason already."""
    return not (record.exc_info and isinstance(record.exc_info[1], TrialFailed))


# The logger Optuna reports failed trials on (a filter on a logger sees only its own records).
logging.getLogger("optuna.study._optimize").addFilter(_without_trial_failed_tracebacks)


def check_some_succeeded(study: optuna.Study) -> None:
    """A sweep none of whose trials succeeded has no result: a :class:`SweepStopped` with the
    first failure's reason (its command then exits non-zero), not a report of nothing."""
    trials = counted(study)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    if trials and len(failed) == len(trials):
        first = failed[0].user_attrs.get(ERROR, "no error recorded")
        raise SweepStopped(f"sweep {study.study_name}: every trial failed ({len(failed)}); the first: {first}")


def counted(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """The trials that count toward ``n_trials``: all but those failed only because their worker died."""
    return [t for t in study.get_trials(deepcopy=False) if t.state != TrialState.FAIL or ERROR in t.user_attrs]


def failure_streak(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """The failed trials that ended after the last trial that did not fail, oldest first."""
    ended = sorted(
        (t for t in counted(study) if t.state.is_finished() and t.datetime_complete is not None),
        key=lambda t: t.datetime_complete,
    )
    streak: list[optuna.trial.FrozenTrial] = []
    for trial in reversed(ended):
        if trial.state != TrialState.FAIL:
            break
        streak.append(trial)
    return streak[::-1]


def check_storage(path: Path) -> None:
    """Refuses storage that is not this kind of study file before Optuna touches it: a folder,
    a device, an empty file, a file that is not SQLite, a foreign SQLite database or a damaged
    one (Optuna would add its tables to a foreign file, or start over in an empty one)."""
    if not path.exists():
        return
    if not path.is_file():
        raise ConfigError(f"sweep storage {path}: not a regular file")
    if path.stat().st_size == 0:
        raise ConfigError(f"sweep storage {path}: an empty file, not a study (remove it to start a new one)")
    if path.suffix in (".log", ".journal"):
        return  # the journal is checked as Optuna reads it (see load_study)
    with open(path, "rb") as f:
        if f.read(16) != b"SQLite format 3\x00":
            raise ConfigError(f"sweep storage {path}: not a SQLite file")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
            if con.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise ConfigError(f"sweep storage {path}: the SQLite file is damaged (quick_check failed)")
            tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as e:
        raise ConfigError(f"sweep storage {path}: unreadable SQLite file ({e})") from None
    if tables and not {"studies", "trials"} <= tables:
        raise ConfigError(f"sweep storage {path}: a SQLite database of something else (tables: {sorted(tables)[:5]})")


def storage(config: SweepConfig) -> optuna.storages.BaseStorage:
    path = config.storage_path
    path.parent.mkdir(parents=True, exist_ok=True)
    check_storage(path)
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


def sampler(config: SweepConfig, seed: int) -> optuna.samplers.BaseSampler:
    """TPE, or a grid that visits each combination of the categorical choices once (workers
    sharing the study skip the combinations already run)."""
    if config.sampler == "grid":
        return optuna.samplers.GridSampler({k: p.choices for k, p in config.search_space.items()}, seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def load_study(config: SweepConfig) -> optuna.Study:
    try:
        return optuna.create_study(
            study_name=config.study,
            storage=storage(config),
            direction=config.objective.direction,
            sampler=sampler(config, config.seed),
            pruner=pruner(config),
            load_if_exists=True,
        )
    except (SQLAlchemyError, ValueError, KeyError, TypeError, OSError) as e:  # JSON errors are ValueErrors
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise ConfigError(f"sweep storage {config.storage_path}: not a usable Optuna study ({first})") from None


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
        self.study.sampler = sampler(config, config.seed + 1000 * worker + len(self.study.trials))
        self.lock = FileLock(config.storage_path.with_suffix(".lock"))
        self.logs = Path(config.output_dir) / config.study / "logs"

    def run(self) -> None:
        self._acquire()
        try:
            fail_orphaned_trials(self.study)
        finally:
            self._release()
        while self._start_next():
            streak = failure_streak(self.study)
            if len(streak) >= self.config.max_consecutive_failures:
                first = streak[0].user_attrs.get(ERROR, "no error recorded")
                raise SweepStopped(
                    f"sweep {self.config.study}: {len(streak)} trials failed in a row; the first: {first}"
                )

    def _acquire(self) -> None:
        Path(self.lock.lock_file).parent.mkdir(parents=True, exist_ok=True)
        self.lock.acquire()  # released by _release, maybe inside the objective

    def _start_next(self) -> bool:
        """Under the lock: counts, and if a trial is still wanted, starts one (the objective
        releases the lock once its trial exists in the storage)."""
        self._acquire()
        try:
            if len(counted(self.study)) >= self.config.n_trials:
                return False
            self.study.optimize(self._objective, n_trials=1, catch=(TrialFailed,))
            return True
        finally:
            self._release()

    def _release(self) -> None:
        if self.lock.is_locked:
            self.lock.release()

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
        run_dir = RunDir(Path(self.config.data_dir) / run)
        print(f"[metta-lit] trial {trial.number} ({run}): {' '.join(command[2:])}", flush=True)
        with open(log, "w") as out:
            proc = subprocess.Popen(
                metta_lit_command(*command[1:]),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=child_env(),  # the run dies with this worker
            )
        reported, pruned = 0, False
        while True:
            done = proc.poll() is not None
            values = History.read(run_dir.metrics).series(self.config.objective.metric)
            for steps, value in values[reported:]:
                if math.isfinite(value) and not pruned:
                    trial.report(value, int(steps))
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
            self._fail(trial, f"{run} exited with code {proc.returncode}: {last_error(log)} (log: {log})")
        if not values:
            self._fail(trial, f"{run} never logged {self.config.objective.metric!r} (log: {log})")
        if not math.isfinite(values[-1][1]):
            trial.set_user_attr(ERROR, f"{run}: the objective was {values[-1][1]}")
        return values[-1][1]  # NaN is recorded as a failed trial by Optuna

    @staticmethod
    def _fail(trial: optuna.Trial, reason: str) -> None:
        trial.set_user_attr(ERROR, reason)
        # One line here; Optuna's own warning for the caught exception carries its traceback,
        # which says nothing the reason does not (see _without_trial_failed_tracebacks).
        print(f"[metta-lit] trial {trial.number} failed: {reason}", flush=True)
        raise TrialFailed(f"trial {trial.number}: {reason}")
