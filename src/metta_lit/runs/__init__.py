"""A training run's folder and what is read back from it (its metrics history)."""

from metta_lit.runs.history import History, HistoryError

__all__ = ["History", "HistoryError"]
