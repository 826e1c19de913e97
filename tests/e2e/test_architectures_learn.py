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

    Measured (one run each): random 0.58; LSTM 0.92 and, on another day, 0.80; ViT tiny 1.02,
    Mamba 0.98, Cortex 0.86 (1.4-1.8x). At this budget an architecture has only begun to learn:
    the weakest run's per-map gain over random (LSTM's 0.80) had a 95% bootstrap interval that
    still reached below zero at these 64 episodes, so the claim tested is the one every run
    made, at least 1.2x random (the lowest, 1.38x, keeps a margin of 0.18x); the interval is
    printed."""
    from conftest import NAV, fit_in_process
    from test_learning import episode_rewards, paired_gain_interval

    extra = [f"--model.init_args.policy.init_args.{init_args[0]}", init_args[1]] if init_args else []
    run = fit_in_process(NAV, 200_000, tmp_path, "nav", "--model.init_args.policy.class_path", class_path, *extra)
    random, trained = episode_rewards(None, seed=123), episode_rewards(run.model.policy, seed=123)
    low, high = paired_gain_interval(trained, random)
    print(f"{class_path}: random {random.mean():.3f}, trained {trained.mean():.3f}, gain [{low:.2f}, {high:.2f}]")
    assert trained.mean() > 1.2 * random.mean()
