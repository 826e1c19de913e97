"""Object use: a short CPU run learns the altar lesson (use a battery in hand) far better than
random, scored on the lesson's simulation (slow: about a minute)."""

from __future__ import annotations

import pytest
from conftest import ROOT

from metta_lit.evaluation.config import load_simulations
from metta_lit.evaluation.runner import PolicyHandle, run_simulation
from metta_lit.policy import RandomPolicy


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_short_run_learns_to_use_the_altar(tmp_path):
    """300k agent steps of ``configs/object_use.yaml`` on the ``use_altar`` lesson. Measured on
    32 episodes: trained 0.66 hearts per agent-episode, random 0.17 (a 500k run's training
    curve per 100k steps: 0.09, 0.24, 0.30, 0.59, 0.98)."""
    from metta_lit.cli.trainer import cli

    (sim,) = load_simulations(["object_use/use_altar"])
    sim = sim.model_copy(update={"num_episodes": 32})
    overrides = '{"game.agent.initial_inventory": {"battery_red": 3}, "game.map_builder.scene.scene.scene.objects": {"altar": 1, "wall": 6}}'
    run = cli(
        [
            "fit",
            "--config",
            str(ROOT / "configs" / "object_use.yaml"),
            "--model.init_args.env_overrides",
            overrides,
            "--model.init_args.total_timesteps",
            "300000",
            "--trainer.logger",
            "false",
            "--trainer.enable_progress_bar",
            "false",
            "--trainer.check_val_every_n_epoch",
            "1000",
            "--evaluator.evaluate_interval",
            "0",
            "--checkpoint.data_dir",
            str(tmp_path),
            "--checkpoint.run",
            "object_use",
        ]
    )
    random = run_simulation(PolicyHandle(RandomPolicy({}, []), "random", 0), sim, seed=5).mean("heart.gained")
    trained = run_simulation(PolicyHandle(run.model.policy.eval(), "trained", 0), sim, seed=5).mean("heart.gained")
    print(f"object use, use_altar: random {random:.3f}, trained {trained:.3f} hearts per agent-episode")
    assert trained > 0.25 and trained > 2.5 * random
