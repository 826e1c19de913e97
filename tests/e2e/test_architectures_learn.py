"""Each architecture learns navigation from the CLI (slow: about a minute each)."""

from __future__ import annotations

import json

import pytest

SMALL_MAP = {
    "game.map_builder.width": 15,
    "game.map_builder.height": 15,
    "game.map_builder.objects": {"altar": 3, "wall": 6},
    "game.max_steps": 100,
}


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
    """``metta-lit fit --config configs/navigation.yaml`` with the architecture swapped in, on
    a small navigation map (15x15, 3 altars, 100-step episodes, where a random walker finds an
    altar often enough for the signal to come early), 80k agent steps (about a minute each),
    against a random policy on the same 64 maps (N = 64 episodes x 4 agents).

    Measured (one run each, 2026-12-07): random 0.42; LSTM 0.69, Cortex 0.62, Mamba 0.80,
    ViT tiny 0.78 (1.5-1.9x). On the full 31x31 map the same ratios took 200k steps (2.5x the
    time). At this budget an architecture has only begun to learn, so the claim tested is the
    one every run made, at least 1.2x random (the lowest, 1.48x, keeps a margin); the paired
    interval of the per-map gain is printed."""
    from conftest import NAV, fit_in_process
    from test_learning import episode_rewards, paired_gain_interval

    extra = [f"--model.init_args.policy.init_args.{init_args[0]}", init_args[1]] if init_args else []
    small = json.dumps(SMALL_MAP)
    run = fit_in_process(
        NAV, 80_000, tmp_path, "nav", "--model.init_args.policy.class_path", class_path,
        "--model.init_args.env_overrides", small, *extra,
    )  # fmt: skip
    random = episode_rewards(None, seed=123, overrides=SMALL_MAP)
    trained = episode_rewards(run.model.policy, seed=123, overrides=SMALL_MAP)
    low, high = paired_gain_interval(trained, random)
    print(f"{class_path}: random {random.mean():.3f}, trained {trained.mean():.3f}, gain [{low:.2f}, {high:.2f}]")
    assert trained.mean() > 1.2 * random.mean()
