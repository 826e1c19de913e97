"""Navigation sequence: a short CPU run learns the sequence's last link (a battery in hand, find
an altar and use it) far better than random, on maps it never trained on (slow: about two
minutes)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import ROOT, fit_in_process

from metta_lit.evaluation.config import load_simulations
from metta_lit.evaluation.runner import PolicyHandle, run_simulation
from metta_lit.policy import RandomPolicy

TRAINING_MAPS = list(range(1, 65))
SCORED_MAPS = [100, 101, 102, 103]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_short_run_learns_to_bring_a_battery_to_an_altar_on_unseen_maps(tmp_path):
    """400k agent steps of ``configs/navigation_sequence.yaml`` on the ``battery_in_hand`` lesson.
    A scene map is made once per ``map_builder.seed``, so the run draws one of 64 seeds per
    episode and is scored on four others (8 episodes each). Measured in three runs (seed 0
    twice, then 1): trained 0.69, 0.72, 0.73 hearts per agent-episode, random 0.18. Trained on
    the lesson's one map (seed 0) and scored there, two runs made 0.90 and 0.77; the recipe's
    3M-step policy made 0.95 there but 0.39-0.70 on three other maps: part of a one-map score
    is the map learned by heart."""
    (sim,) = load_simulations(["navigation_sequence/battery_in_hand"])
    maps = {
        "class_path": "metta_lit.curriculum.BucketedCurriculum",
        "init_args": {"buckets": {"game.map_builder.seed": TRAINING_MAPS}},
    }
    config = str(ROOT / "configs" / "navigation_sequence.yaml")
    lesson = ["--model.init_args.env_overrides", json.dumps(sim.env_overrides)]
    run = fit_in_process(
        config, 400_000, tmp_path, "sequence", *lesson, "--model.init_args.curriculum", json.dumps(maps)
    )
    scores: dict[str, list[float]] = {"random": [], "trained": []}
    for policy, name in ((RandomPolicy({}, []), "random"), (run.model.policy.eval(), "trained")):
        for seed in SCORED_MAPS:
            unseen = sim.model_copy(update={"env_overrides": {**sim.env_overrides, "game.map_builder.seed": seed}})
            scores[name].append(run_simulation(PolicyHandle(policy, name, 0), unseen, seed=5).mean("heart.gained"))
    random, trained = (float(np.mean(s)) for s in scores.values())
    print(f"navigation sequence, battery_in_hand on unseen maps: random {random:.3f}, trained {trained:.3f} ({scores})")
    assert trained > 0.4 and trained > 2 * random, scores
