"""Composed losses train under DDP on two CPU processes (gloo)."""

from __future__ import annotations

import math

import pytest


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
