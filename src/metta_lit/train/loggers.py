"""A CSV logger that keeps a run's metrics history across resumes and kills.

Lightning's ``CSVLogger`` deletes an existing ``metrics.csv`` when it starts (one row left
after three resumes) and buffers 100 steps before writing (rows since the last flush are
lost on a kill). A run directory is resumed in place here, so the writer below appends to
the file it finds, adopting its header, and the logger flushes at every step (one step is
one rollout + update). When new metric names appear the file is rewritten with the wider
header through a temp file + rename, so a kill never truncates the history.
"""

from __future__ import annotations

import csv
import io
import os
from typing import Any

from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter
from lightning.pytorch.loggers.logger import rank_zero_experiment

from metta_lit.core.files import atomic_write, normalize_uri
from metta_lit.runs.history import STEPS, number


class AppendingExperimentWriter(ExperimentWriter):
    """Lightning's CSV writer, appending to (never deleting) an existing ``metrics.csv``."""

    def _check_log_dir_exists(self) -> None:
        if self._fs.isfile(self.metrics_file_path):
            with self._fs.open(self.metrics_file_path, "r", newline="") as f:
                self.metrics_keys = list(csv.DictReader(f).fieldnames or [])

    def _rewrite_with_new_header(self, fieldnames: list[str]) -> None:
        with self._fs.open(self.metrics_file_path, "r", newline="") as f:
            rows = list(csv.DictReader(f))
        text = io.StringIO(newline="")
        writer = csv.DictWriter(text, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)
        atomic_write(normalize_uri(self.metrics_file_path), text.getvalue().encode())

    def cut_after(self, agent_steps: int) -> int:
        """Drops the rows logged after ``agent_steps`` (the point a resume restarts from: those
        updates will be logged again); returns how many went."""
        if not self._fs.isfile(self.metrics_file_path):
            return 0
        with self._fs.open(self.metrics_file_path, "r", newline="") as f:
            reader = csv.DictReader(f)
            fieldnames, rows = list(reader.fieldnames or []), list(reader)
        steps = [number(row.get(STEPS)) for row in rows]
        cut = next((i for i, s in enumerate(steps) if s is not None and s > agent_steps), len(rows))
        if cut < len(rows):
            text = io.StringIO(newline="")
            writer = csv.DictWriter(text, fieldnames=fieldnames)
            writer.writeheader()
            writer.writerows(rows[:cut])
            atomic_write(normalize_uri(self.metrics_file_path), text.getvalue().encode())
        return len(rows) - cut


class RunCSVLogger(CSVLogger):
    """``<run_dir>/logs/metrics.csv``, appended to on resume and flushed every step; on resume
    the rows past the checkpoint are cut (:meth:`cut_after`), so re-run updates appear once."""

    def cut_after(self, agent_steps: int) -> int:
        return self.experiment.cut_after(agent_steps) if self.experiment is not None else 0

    def __init__(self, run_dir: str, **kwargs: Any) -> None:
        kwargs.setdefault("flush_logs_every_n_steps", 1)
        super().__init__(run_dir, name="logs", version="", **kwargs)

    @property
    @rank_zero_experiment
    def experiment(self) -> ExperimentWriter:
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = AppendingExperimentWriter(log_dir=self.log_dir)
        return self._experiment


def run_loggers(given: Any, run_dir: str, run: str) -> list[Any]:
    """The loggers of a run: the ones configured (``--trainer.logger``), each placed in the run,
    plus the run's own CSV history (what suites and resumes read) and TensorBoard unless one
    is configured. ``None``/``True`` means the defaults alone."""
    from lightning.pytorch.loggers import TensorBoardLogger, WandbLogger

    loggers = [] if given in (None, True) else list(given) if isinstance(given, (list, tuple)) else [given]
    for logger in loggers:
        if isinstance(logger, WandbLogger) and logger._experiment is None:
            # LightningCLI builds the logger from the config before the run directory is known, and
            # WandbLogger has no public setter: fill its defaults ('.', no name) before wandb starts.
            init = logger._wandb_init
            if init.get("dir") in (None, "."):
                init["dir"] = logger._save_dir = run_dir
            if init.get("name") is None:
                init["name"] = logger._name = run
            if init.get("project") == "lightning_logs" and "WANDB_PROJECT" not in os.environ:
                init["project"] = logger._project = "metta-lit"
    defaults: list[Any] = [RunCSVLogger(run_dir)]
    if not any(isinstance(logger, TensorBoardLogger) for logger in loggers):
        defaults.append(TensorBoardLogger(run_dir, name="tensorboard", version=""))
    return [*defaults, *loggers]
