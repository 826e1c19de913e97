"""The loggers of a training run: its own metrics history, TensorBoard, and any configured.

:class:`RunCSVLogger` is a Lightning ``Logger`` over :class:`~metta_lit.runs.MetricsFile`
(Lightning's ``CSVLogger`` cannot append to a history: see that module).
"""

from __future__ import annotations

from argparse import Namespace
from typing import Any

import torch
from lightning.pytorch.core.saving import save_hparams_to_yaml
from lightning.pytorch.loggers import Logger, TensorBoardLogger
from lightning.pytorch.loggers.logger import rank_zero_experiment
from lightning.pytorch.utilities import rank_zero_only

from metta_lit.runs import MetricsFile, RunDir


class RunCSVLogger(Logger):
    """``<run>/logs/metrics.csv``, one row per update, written at once; on resume the rows past
    the checkpoint are cut (:meth:`cut_after`), so re-run updates appear once. Its
    ``save_dir`` is the run's ``logs/``, where LightningCLI writes ``config.yaml``."""

    def __init__(self, run_dir: str) -> None:
        super().__init__()
        self.run_dir = RunDir(run_dir)
        self._file: MetricsFile | None = None  # opened on rank zero's first write

    @property
    def name(self) -> str:
        return RunDir.LOGS

    @property
    def version(self) -> str:
        return ""

    @property
    def save_dir(self) -> str:
        return str(self.run_dir.logs)

    @property
    @rank_zero_experiment  # other ranks get a stand-in that writes nothing
    def experiment(self) -> MetricsFile:
        if self._file is None:
            self.run_dir.logs.mkdir(parents=True, exist_ok=True)
            self._file = MetricsFile(self.run_dir.metrics)
        return self._file

    @rank_zero_only
    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        row = {k: v.item() if isinstance(v, torch.Tensor) else v for k, v in metrics.items()}
        self.experiment.append({**row, "step": step})

    @rank_zero_only
    def log_hyperparams(self, params: dict[str, Any] | Namespace, *args: Any, **kwargs: Any) -> None:
        self.run_dir.logs.mkdir(parents=True, exist_ok=True)
        save_hparams_to_yaml(
            self.run_dir.logs / "hparams.yaml", vars(params) if isinstance(params, Namespace) else params
        )

    def cut_after(self, agent_steps: int) -> int:
        """Drops rows logged after ``agent_steps`` (rank zero; 0 elsewhere)."""
        return self.experiment.cut_after(agent_steps) if rank_zero_only.rank == 0 else 0


def run_loggers(given: Any, run_dir: str) -> list[Any]:
    """The loggers of a run: the run's own CSV history (what suites and resumes read) and
    TensorBoard unless one is configured, then the configured ones (``--trainer.logger``;
    :func:`metta_lit.cli.trainer.place_loggers` pointed them at the run). ``None``/``True``
    means the defaults alone."""
    loggers = [] if given in (None, True) else list(given) if isinstance(given, (list, tuple)) else [given]
    defaults: list[Any] = [RunCSVLogger(run_dir)]
    if not any(isinstance(logger, TensorBoardLogger) for logger in loggers):
        defaults.append(TensorBoardLogger(run_dir, name=RunDir.TENSORBOARD, version=""))
    return [*defaults, *loggers]
