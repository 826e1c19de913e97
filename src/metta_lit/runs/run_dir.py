"""A training run's folder: the one place that knows where a run keeps what.

::

    <data_dir>/<run>/
    ├── checkpoints/   <run>:v<N>.mpt policy files, last.ckpt (Lightning's full training state)
    ├── logs/          metrics.csv (one row per update), config.yaml (the run's whole config), hparams.yaml
    └── tensorboard/   TensorBoard events
"""

from __future__ import annotations

import os
from pathlib import Path


class RunDir:
    """The files of the run at ``root`` (a local folder; remote runs name the same relative paths)."""

    CHECKPOINTS = "checkpoints"
    LOGS = "logs"
    METRICS = "logs/metrics.csv"
    CONFIG = "logs/config.yaml"
    TRAINER_STATE = "checkpoints/last.ckpt"
    TENSORBOARD = "tensorboard"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    @property
    def checkpoints(self) -> Path:
        return self.root / self.CHECKPOINTS

    @property
    def logs(self) -> Path:
        return self.root / self.LOGS

    @property
    def metrics(self) -> Path:
        return self.root / self.METRICS

    @property
    def config(self) -> Path:
        return self.root / self.CONFIG

    def is_run(self) -> bool:
        """Training has written here: policy files or a metrics history."""
        return self.root.is_dir() and (self.checkpoints.is_dir() or self.metrics.is_file())
