"""Object use: a short CPU run learns the altar lesson (use a battery in hand) far better than
random, scored on maps it never trained on (slow: about a minute)."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, fit_in_process, hearts_on_unseen_maps

from metta_lit.evaluation.config import load_simulations

# The lesson's four rooms on a 15x15 map with 100-step episodes: an altar is a few steps away,
# so the signal comes early (on the recipe's 25x25 map the same check needed 300k agent steps).
SMALL_ROOMS = {"game.map_builder.width": 15, "game.map_builder.height": 15, "game.max_steps": 100}


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_short_run_learns_to_use_the_altar(tmp_path):
    """120k agent steps of ``configs/object_use.yaml`` on the ``use_altar`` lesson in small
    rooms, each episode on one of the maps of seeds 0-63, scored on 32 episodes on maps of
    seeds from 1000 on. Measured (seeds 0, 1, 2; 2026-12-07): trained 1.34, 1.23 and 1.37
    hearts per agent-episode, random 0.20 (at 80k: 0.73 and 1.02, so 120k keeps a margin
    over the floor of 0.6)."""
    (sim,) = load_simulations(["object_use/use_altar"])
    sim = sim.model_copy(update={"env_overrides": {**sim.env_overrides, **SMALL_ROOMS}})
    lesson = json.dumps(sim.env_overrides)
    config = str(ROOT / "configs" / "object_use.yaml")
    run = fit_in_process(config, 120_000, tmp_path, "object_use", "--model.init_args.env_overrides", lesson)
    random, trained = hearts_on_unseen_maps(sim, run.model.policy.eval())
    print(f"object use, use_altar on unseen maps: random {random:.3f}, trained {trained:.3f} hearts per agent-episode")
    assert trained > 0.6 and trained > 2.5 * random
