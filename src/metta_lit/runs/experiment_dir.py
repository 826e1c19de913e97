"""The layout of an experiment's folder (``<output_dir>/<name>``), shared by the experiment that
writes it and the web app that shows it."""

from __future__ import annotations

import os
from pathlib import Path


class ExperimentDir:
    PLAN = "plan.json"  # its arms and runs, written before any run starts
    RESULTS = "experiment.json"  # the aggregated results (a results file)
    TRAIN_DIR = "train_dir"  # the runs, one folder each (training's --checkpoint.data_dir)
    LOGS = "logs"  # each run's training and scoring output
    SCORES = "scores.json"  # in a run's folder, written last: the run is done
    STATS_DB = "stats.duckdb"  # every scoring episode (policy key: the run's name; version: the checkpoint)

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    @property
    def plan(self) -> Path:
        return self.root / self.PLAN

    @property
    def train_dir(self) -> Path:
        return self.root / self.TRAIN_DIR

    @property
    def logs(self) -> Path:
        return self.root / self.LOGS

    @property
    def stats_db(self) -> Path:
        return self.root / self.STATS_DB
