"""A training run's folder (:class:`RunDir`), its metrics history as written and as read back."""

from metta_lit.runs.history import History, HistoryError
from metta_lit.runs.metrics_file import MetricsFile
from metta_lit.runs.run_dir import RunDir

__all__ = ["History", "HistoryError", "MetricsFile", "RunDir"]
