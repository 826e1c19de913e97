"""Navigation sequence: a short CPU run learns the sequence's last link (a battery in hand, find
an altar and use it) far better than random, scored on that lesson's simulation (slow: about
two minutes)."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, fit_in_process

from metta_lit.evaluation.config import load_simulations
from metta_lit.evaluation.runner import PolicyHandle, run_simulation
from metta_lit.policy import RandomPolicy


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_short_run_learns_to_bring_a_battery_to_an_altar(tmp_path):
    """400k agent steps of ``configs/navigation_sequence.yaml`` on the ``battery_in_hand`` lesson.
    Measured on 32 episodes: trained 0.90 and 0.77 hearts per agent-episode with seeds 0 and 1,
    random 0.19. The whole sequence (nothing in hand) is not learned at CPU budgets: 1M steps of
    the recipe's curriculum scored 0 on the crowded rooms, as random does."""
    (sim,) = load_simulations(["navigation_sequence/battery_in_hand"])
    sim = sim.model_copy(update={"num_episodes": 32})
    lesson = json.dumps(sim.env_overrides)  # trained on the very lesson it is scored on
    config = str(ROOT / "configs" / "navigation_sequence.yaml")
    run = fit_in_process(config, 400_000, tmp_path, "sequence", "--model.init_args.env_overrides", lesson)
    random = run_simulation(PolicyHandle(RandomPolicy({}, []), "random", 0), sim, seed=5).mean("heart.gained")
    trained = run_simulation(PolicyHandle(run.model.policy.eval(), "trained", 0), sim, seed=5).mean("heart.gained")
    print(f"navigation sequence, battery_in_hand: random {random:.3f}, trained {trained:.3f} hearts per agent-episode")
    assert trained > 0.45 and trained > 2.5 * random
