"""A training run's folder (:class:`RunDir`), its metrics history as written and as read back,
and an experiment's folder (:class:`ExperimentDir`)."""

from metta_lit.runs.experiment_dir import ExperimentDir
from metta_lit.runs.history import History, HistoryError
from metta_lit.runs.metrics_file import MetricsFile
from metta_lit.runs.run_dir import RunDir

__all__ = ["ExperimentDir", "History", "HistoryError", "MetricsFile", "RunDir"]
