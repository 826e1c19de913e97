"""In-context learning: a short CPU run on the one-link recipes (the altar takes an ore whose
colour is drawn per episode and never shown) beats random over the three colours, scored on
the family's one-link simulations (slow: about three minutes)."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, fit_in_process

from metta_lit.evaluation.config import load_simulations
from metta_lit.evaluation.runner import PolicyHandle, run_simulation
from metta_lit.policy import RandomPolicy

COLOURS = ["direct_red", "direct_blue", "direct_green"]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_short_run_on_drawn_one_link_recipes_beats_random_over_the_colours(tmp_path):
    """500k agent steps of ``configs/in_context.yaml``, each episode's altar ore drawn uniformly
    (not the recipe's learning-progress draw: at this budget that one settles on a single colour
    and scores below random on the others), at a learning rate of 4e-4. Measured on 32 episodes
    per colour, mean hearts per agent-episode over the colours, seeds 0, 1, 2: trained 0.25,
    0.40, 0.32 (at the config's 1.15e-3: 0.31, 0.23, 0.17), random 0.13. Green gives most of
    it (0.59-1.06): the policy favours a colour, it does not discover the recipe."""
    curriculum = {
        "class_path": "metta_lit.curriculum.BucketedCurriculum",
        "init_args": {
            "buckets": {"game.objects.altar.input_resources": [{f"ore_{c}": 1} for c in ("red", "blue", "green")]}
        },
    }
    config = str(ROOT / "configs" / "in_context.yaml")
    run = fit_in_process(
        config,
        500_000,
        tmp_path,
        "icl",
        "--model.init_args.curriculum",
        json.dumps(curriculum),
        "--model.init_args.learning_rate",
        "0.0004",
    )
    policies = {"random": RandomPolicy({}, []), "trained": run.model.policy.eval()}
    scores = {name: {} for name in policies}
    for sim in load_simulations([f"in_context/{name}" for name in COLOURS]):
        sim = sim.model_copy(update={"num_episodes": 32})
        for name, policy in policies.items():
            scores[name][sim.name] = run_simulation(PolicyHandle(policy, name, 0), sim, seed=5).mean("heart.gained")
    print(f"in-context learning, one link, hearts per agent-episode: {scores}")
    random, trained = (sum(s.values()) / len(s) for s in (scores["random"], scores["trained"]))
    assert trained > 0.18 and trained > 1.4 * random, scores
