"""The evaluator callback logs suite scores during training."""

from __future__ import annotations

import pytest
from conftest import EPOCH, column, fit_args, metta_lit, read_metrics

from metta_lit.evaluation.stats_db import EvalStatsDB


@pytest.mark.slow
def test_evaluator_callback_logs_suite_scores_during_training(tmp_path):
    metta_lit(
        *fit_args("evcb", str(2 * EPOCH)),
        "--evaluator.suite",
        "navigation",
        "--evaluator.evaluate_interval",
        "2",
        "--evaluator.num_episodes",
        "2",
        "--evaluator.stats_db",
        str(tmp_path / "during.duckdb"),
        cwd=tmp_path,
    )
    rows = read_metrics(tmp_path / "train_dir" / "evcb")
    assert len(column(rows, "evaluator/eval_navigation/score")) == 1
    assert column(rows, "evaluator/eval_navigation/default") and column(rows, "evaluator/eval_navigation/sparse")
    assert EvalStatsDB(str(tmp_path / "during.duckdb")).policies() == [("evcb", 2)]
