"""Navigation sequence: a short CPU run learns the sequence's last link (a battery in hand, find
an altar and use it) far better than random, on maps it never trained on (slow: about two
minutes)."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, fit_in_process, hearts_on_unseen_maps

from metta_lit.evaluation.config import load_simulations


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_short_run_learns_to_bring_a_battery_to_an_altar_on_unseen_maps(tmp_path):
    """400k agent steps of ``configs/navigation_sequence.yaml`` on the ``battery_in_hand`` lesson,
    each episode on one of the maps of seeds 0-63, scored on 32 episodes on maps of seeds from
    1000 on. Measured in three runs (seeds 0, 1, 2): trained 0.74, 0.48 and 0.69 hearts per
    agent-episode, random 0.14; seed 0 on CI's CPU (which rounds differently, so follows
    another trajectory) made 0.36. The claim tested is the one every run made: more than
    twice random on the same unseen maps."""
    (sim,) = load_simulations(["navigation_sequence/battery_in_hand"])
    lesson = json.dumps(sim.env_overrides)
    run = fit_in_process(
        str(ROOT / "configs" / "navigation_sequence.yaml"),
        400_000,
        tmp_path,
        "sequence",
        "--model.init_args.env_overrides",
        lesson,
    )
    random, trained = hearts_on_unseen_maps(sim, run.model.policy.eval())
    print(f"navigation sequence, battery_in_hand on unseen maps: random {random:.3f}, trained {trained:.3f}")
    assert random > 0.05 and trained > 2 * random
