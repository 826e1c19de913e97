"""Runs written before the package layout changed still load and resume.

The fixtures (tests/fixtures/pre_layout) were written by the commit before the move; their
config and ``last.ckpt`` name ``metta_lit.module.PPOModule`` and ``metta_lit.modules.PPO_EMA``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from conftest import metta_lit, read_metrics

from metta_lit.checkpoints import CheckpointManager

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pre_layout"


def test_a_policy_file_written_before_the_move_loads_and_acts():
    uri = f"file://{FIXTURES / 'prelayout' / 'checkpoints' / 'prelayout:v2.mpt'}"
    policy, key, _ = CheckpointManager.load_from_uri(uri)
    assert (key.run, key.version) == ("prelayout", 2)
    assert type(policy).__name__ == "FastPolicy"
    assert sum(p.numel() for p in policy.parameters()) > 0
    assert all(torch.isfinite(p).all() for p in policy.parameters())


@pytest.mark.slow
@pytest.mark.parametrize("run", ["prelayout", "prelayout_ema"])
def test_a_run_written_before_the_move_resumes(run, tmp_path):
    """The saved config (old class paths) and ``last.ckpt`` continue for one more update."""
    run_dir = tmp_path / "train_dir" / run
    shutil.copytree(FIXTURES / run, run_dir)
    before = read_metrics(run_dir)
    metta_lit(
        "fit",
        "--config",
        str(run_dir / "logs" / "config.yaml"),
        "--model.init_args.total_timesteps",
        "768",
        "--checkpoint.run",
        run,
        "--ckpt_path",
        "last",
        cwd=tmp_path,
    )
    steps = [float(r["overview/agent_steps"]) for r in read_metrics(run_dir) if r.get("overview/agent_steps")]
    assert steps[-1] == 768.0 and len(read_metrics(run_dir)) > len(before)
    assert (run_dir / "checkpoints" / f"{run}:v3.mpt").exists()
