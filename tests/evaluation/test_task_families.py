"""Task families' simulations: each map builds, and on each the scripted agent scores far more
than a random policy (the baselines trained policies are read against). Their learning checks
are in tests/e2e/."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from metta_lit.env import MettaGridVecEnv
from metta_lit.env.mapgen.make_connected import components
from metta_lit.evaluation.config import load_simulations

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
NAMED = {"maze", "wide_maze", "rooms", "labyrinth", "radial", "corridors", "wild", "caves", "two_rooms"}


def test_every_named_map_builds_with_its_agents_on_one_connected_floor():
    sims = {sim.name: sim for sim in load_simulations(["navigation_maps"])}
    assert set(sims) >= NAMED
    for name in NAMED:
        env = MettaGridVecEnv(sims[name].env_config(), num_envs=1)
        env.reset()
        grid = np.array(env.initial_map(0))
        assert (grid == "altar").sum() >= 3 and np.char.startswith(grid, "agent.").sum() == 4, name
        assert components(np.where(grid == "wall", "wall", "empty"))[1] == 1, name  # every altar reachable


def test_the_scripted_agent_beats_a_random_walker_on_every_map():
    from baselines import baselines

    scores = baselines("navigation_maps", episodes=1)
    for name in NAMED:
        random, scripted = scores[name]["random"], scores[name]["scripted"]
        assert 0 <= random < 6 and scripted > max(3 * random, random + 2), (name, random, scripted)


def test_object_use_lessons_build_and_the_scripted_agent_completes_each_chain():
    from baselines import baselines

    lessons = {sim.name: sim for sim in load_simulations(["object_use"])}
    assert set(lessons) == {"use_altar", "generator_altar", "full_chain", "distractors"}
    for name, sim in lessons.items():
        env = MettaGridVecEnv(sim.env_config(), num_envs=1)
        env.reset()
        grid = np.array(env.initial_map(0))
        assert (grid == "altar").sum() == 4 and sorted(np.unique(grid[np.char.startswith(grid, "agent.")])) == [
            f"agent.team_{k}" for k in range(1, 5)
        ], name
    scores = baselines("object_use", episodes=1)
    for name, score in scores.items():
        assert score["random"] < 0.5 and score["scripted"] >= 2, (name, score)
