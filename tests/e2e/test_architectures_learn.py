"""Each architecture learns navigation from the CLI (slow: minutes each)."""

from __future__ import annotations

import pytest


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    ("class_path", "init_args"),
    [
        ("metta_lit.policy.LSTMPolicy", []),
        ("metta_lit.policy.ViTPolicy", ["size", "tiny"]),
        ("metta_lit.policy.MambaPolicy", []),
        ("metta_lit.policy.CortexPolicy", []),
    ],
)
def test_each_architecture_learns_navigation_from_the_cli(tmp_path, class_path, init_args):
    """``metta-lit fit --config configs/navigation.yaml`` with the architecture swapped in,
    200k agent steps (about 1.5 minutes each), against a random policy on the same 64 maps
    (N = 64 episodes x 4 agents).

    Measured (one run each): random 0.58; LSTM 0.92, ViT tiny 1.02, Mamba 0.98, Cortex 0.86
    (1.5-1.8x). At this budget an architecture has only begun to learn, so the claim tested is
    "learns": a per-map gain over random whose 95% bootstrap interval excludes zero, and at
    least 1.2x random (a run at the low end, Cortex's 1.48x, keeps a margin of 0.28x)."""
    from conftest import NAV, fit_in_process
    from test_learning import episode_rewards, paired_gain_interval

    extra = [f"--model.init_args.policy.init_args.{init_args[0]}", init_args[1]] if init_args else []
    run = fit_in_process(NAV, 200_000, tmp_path, "nav", "--model.init_args.policy.class_path", class_path, *extra)
    random, trained = episode_rewards(None, seed=123), episode_rewards(run.model.policy, seed=123)
    low, high = paired_gain_interval(trained, random)
    print(f"{class_path}: random {random.mean():.3f}, trained {trained.mean():.3f}, gain [{low:.2f}, {high:.2f}]")
    assert trained.mean() > 1.2 * random.mean() and low > 0
