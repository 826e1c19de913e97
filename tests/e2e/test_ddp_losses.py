"""Composed losses train under DDP on two CPU processes (gloo)."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_composed_losses_train_unchanged_under_ddp(tmp_path):
    """Two gloo processes; every loss's heads, the EMA target and the scripted supervisor on each rank."""
    from conftest import EPOCH, NAV, SMALL, column, metta_lit, read_metrics

    module = "metta_lit.train.GRPO_Contrastive_Dynamics_EMA_ActionSupervised"
    metta_lit(
        "fit",
        "--config",
        NAV,
        *SMALL,
        "--model",
        module,
        "--model.init_args.total_timesteps",
        str(4 * EPOCH),
        "--trainer.strategy",
        "ddp",
        "--trainer.devices",
        "2",
        "--checkpoint.run",
        "ddp",
        cwd=tmp_path,
        timeout=400,
    )
    rows = read_metrics(tmp_path / "train_dir" / "ddp")
    assert column(rows, "overview/agent_steps") == [2 * EPOCH, 4 * EPOCH]
    for key in ("grpo/policy", "contrastive/loss", "dynamics/return_mse", "ema/loss", "action_supervised/nll"):
        values = column(rows, f"losses/{key}")
        assert len(values) == 2 and all(math.isfinite(v) for v in values), key


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_advantages_are_normalized_with_statistics_over_every_rank(tmp_path):
    """Two gloo ranks with advantages of other sizes, means and spreads: both normalize with the
    mean and std of all 400 values (per-rank statistics would give 0 vs 4 and 1 vs 3), so the
    normalized advantages of both ranks together have mean 0."""
    import json

    import torch

    from tests.ddp_advantages import advantages

    subprocess.run(
        [sys.executable, str(ROOT / "tests" / "ddp_advantages.py"), str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=240,
        cwd=tmp_path,
    )
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    pooled = torch.cat([advantages(0), advantages(1)])
    for rank in ranks:
        assert rank["mean"] == pytest.approx(float(pooled.mean()), abs=1e-5)
        assert rank["std"] == pytest.approx(float(pooled.std()), rel=1e-5)  # unbiased, as torch's
    assert abs(float(pooled.mean())) > 0.5 and abs(float(advantages(0).mean())) < 0.2  # per-rank would differ
    assert sum(rank["normalized_sum"] for rank in ranks) == pytest.approx(0.0, abs=1e-3)
