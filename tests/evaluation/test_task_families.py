"""Task families' simulations: each map builds, and on each the scripted agent scores far more
than a random policy (the baselines trained policies are read against). Their learning checks
are in tests/e2e/."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from metta_lit.env import MettaGridVecEnv
from metta_lit.env.mapgen.base import WALL
from metta_lit.env.mapgen.make_connected import components
from metta_lit.evaluation.config import load_simulations

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
SEQUENCE_MAPS = {"corners", "corridors", "easy_memory", "journey_home", "labyrinth", "switchback"}
NAMED = {"maze", "wide_maze", "rooms", "labyrinth", "radial", "corridors", "wild", "caves", "two_rooms"}


def test_every_named_map_builds_with_its_agents_on_one_connected_floor():
    sims = {sim.name: sim for sim in load_simulations(["navigation_maps"])}
    assert set(sims) >= NAMED
    for name in NAMED:
        builder = sims[name].env_config().game.map_builder
        for seed, names in builder.grids().items():  # every map its episodes draw from
            grid = np.array(names)
            assert (grid == "altar").sum() >= 3 and np.char.startswith(grid, "agent.").sum() == 4, (name, seed)
            assert components(np.where(grid == "wall", "wall", "empty"))[1] == 1, (name, seed)  # altars reachable


@pytest.mark.slow
def test_the_scripted_agent_beats_a_random_walker_on_every_map():
    from baselines import baselines

    scores = baselines("navigation_maps", episodes=3)  # each episode on another of the map's seeds
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
    scores = baselines("object_use", episodes=8)  # random 0.28 on use_altar, 0 on the longer chains
    for name, score in scores.items():
        assert score["random"] < 0.6 and score["scripted"] >= 2, (name, score)


def reachable_objects(grid: np.ndarray) -> dict[str, int]:
    """Objects with a free side in the floor an agent stands on (objects block movement), by name."""
    floor = np.where((grid == "empty") | np.char.startswith(grid, "agent."), "empty", WALL)
    labels, _ = components(floor)
    start = labels[tuple(np.argwhere(np.char.startswith(grid, "agent."))[0])]
    out: dict[str, int] = {}
    for r, c in np.argwhere((grid != "empty") & (grid != "wall") & ~np.char.startswith(grid, "agent.")):
        sides = [labels[r + dr, c + dc] for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1))]
        if start in sides:
            out[str(grid[r, c])] = out.get(str(grid[r, c]), 0) + 1
    return out


def test_navigation_sequence_maps_put_one_of_each_object_within_reach_of_each_agent_and_out_of_its_sight():
    sims = {sim.name: sim for sim in load_simulations(["navigation_sequence"])}
    assert set(sims) == SEQUENCE_MAPS | {"battery_in_hand", "crowded_rooms", "rooms"}
    for name in SEQUENCE_MAPS:
        config = sims[name].env_config()
        assert config.game.agent.resource_limits["heart"] == 1, name  # one sequence ends the task
        env = MettaGridVecEnv(config, num_envs=1)
        env.reset()
        grid = np.array(env.initial_map(0))
        copy = grid[: grid.shape[0] // 2, : grid.shape[1] // 2]  # the first of four copies
        assert np.char.startswith(grid, "agent.").sum() == 4, name
        assert reachable_objects(copy) == {"mine_red": 1, "generator_red": 1, "altar": 1}, name
        where = {kind: np.argwhere(copy == kind)[0] for kind in ("mine_red", "generator_red", "altar")}
        radius = config.game.obs_width // 2
        for a, b in (("mine_red", "generator_red"), ("generator_red", "altar")):
            # the next object of the sequence is never in view from the last one
            assert np.abs(where[a] - where[b]).max() > radius, (name, a, b)


@pytest.mark.slow
def test_navigation_sequence_needs_memory_a_random_walker_never_finishes_and_a_memoryless_agent_rarely():
    from baselines import baselines

    scores = baselines("navigation_sequence", episodes=2)
    assert scores["rooms"]["scripted"] > 1 > 10 * scores["rooms"]["random"], scores["rooms"]
    for name in SEQUENCE_MAPS:
        assert scores[name]["random"] < 0.05 and scores[name]["scripted"] < 0.5, (name, scores[name])


@pytest.mark.slow
def test_in_context_recipes_are_each_makeable_and_a_random_policy_almost_never_finds_one():
    """The scripted agent is told each simulation's recipe (it reads the config), so it shows
    every colour can be made; random shows how rarely it happens by chance."""
    from baselines import baselines

    sims = {sim.name: sim.env_config() for sim in load_simulations(["in_context"])}
    recipes = {
        name: (dict(c.game.objects["generator_red"].input_resources), dict(c.game.objects["altar"].input_resources))
        for name, c in sims.items()
    }
    battery = {"battery_red": 1}
    assert recipes == {
        "red": ({"ore_red": 1}, battery),
        "blue": ({"ore_blue": 1}, battery),
        "green": ({"ore_green": 1}, battery),
        "direct_red": ({"ore_red": 1}, {"ore_red": 1}),
        "direct_blue": ({"ore_red": 1}, {"ore_blue": 1}),
        "direct_green": ({"ore_red": 1}, {"ore_green": 1}),
    }
    scores = baselines("in_context", episodes=2)
    for name, score in scores.items():
        assert score["random"] < 0.2 and score["scripted"] >= 2, (name, score)


def test_coop_assembler_pays_only_pairs_alone_an_agent_never_scores():
    """The same rooms with one agent each: in 8 random episodes not one heart, where pairs
    (the env as trained) make some by chance."""
    from metta_lit.evaluation.runner import PolicyHandle, run_simulation
    from metta_lit.policy import RandomPolicy

    (pairs,) = load_simulations(["coop_assembler/pairs"])
    alone = pairs.model_copy(update={"env_overrides": {"game.num_agents": 4, "game.map_builder.scene.scene.agents": 1}})
    random = PolicyHandle(RandomPolicy({}, []), "random", 0)
    assert run_simulation(random, alone, seed=1).mean("heart.gained") == 0.0
    assert run_simulation(random, pairs, seed=1).mean("heart.gained") > 0.05


def test_teams_2v2_maps_are_mirror_images_with_team_1_first_in_agent_order():
    (sim, _) = load_simulations(["teams_2v2"])
    env = MettaGridVecEnv(sim.env_config(), num_envs=1)
    env.reset()
    grid = np.array(env.initial_map(0))
    top, bottom = grid[: grid.shape[0] // 2], grid[grid.shape[0] // 2 :]
    teams = {"agent.team_1": "agent.team_2", "agent.team_2": "agent.team_1"}
    reflected = np.vectorize(lambda cell: teams.get(cell, cell))(bottom[::-1])
    assert (reflected == top).all()
    assert (top == "agent.team_1").sum() == 2 and (bottom == "agent.team_2").sum() == 2
    # agents are numbered in row-major order: team 1 (top) first, so half the agents is one team
    records = env.grid_object_records(0)
    assert [env.group_names[g] for g in records.records["group"][records.agents]] == ["team_1"] * 2 + ["team_2"] * 2


def test_the_commons_regrows_under_random_agents_and_runs_dry_when_emptied():
    """Random agents take a few hearts and the chest regrows to its limit; with everything taken
    at the start (an empty chest) it never grows back."""
    from metta_lit.env import env_config
    from metta_lit.policy import RandomPolicy
    from metta_lit.rl.acting import play_episodes
    from metta_lit.rl.torch_env import MettaGridTorchEnv

    def game(config, stat: str) -> float:
        base = MettaGridTorchEnv(config, num_envs=4, seed=5)
        played = play_episodes(base, [(RandomPolicy({}, []), 4)], [1] * 4)
        return float(np.mean([e.stats.game[played[0].stat_names.index(stat)] for e in played]))

    commons = env_config("commons")
    assert game(commons, "chest.heart.regrown") > 20 and game(commons, "chest.heart.amount") == 60
    emptied = commons.with_overrides({"game.objects.chest.initial_inventory": 0})
    assert game(emptied, "chest.heart.regrown") == 0


def test_vibe_assembler_pays_only_pairs_that_signal_and_the_scripted_pair_signals():
    """Random pairs score now and then (both beside the assembler, one showing up and the
    other down, as one moves in); the same rooms without change_vibe never score, since a
    pair that cannot signal cannot fit the protocol; the scripted pair, which settles on
    different vibes beside the assembler, uses it every few steps."""
    from metta_lit.evaluation.runner import PolicyHandle, run_simulation

    (pairs,) = load_simulations(["vibe_assembler/pairs"])
    mute = pairs.model_copy(update={"env_overrides": {"game.actions.change_vibe": False}})
    random, scripted = PolicyHandle.from_uri("random"), PolicyHandle.from_uri("scripted")
    assert run_simulation(random, mute, seed=1).mean("heart.gained") == 0.0
    by_chance = run_simulation(random, pairs, seed=1)
    signalled = run_simulation(scripted, pairs, seed=1)
    assert by_chance.mean("heart.gained") < 1.0 and signalled.mean("heart.gained") > 10
    uses = [e.episode_metrics["coop/assembler/protocol_0_uses"] for e in signalled.episodes]
    assert np.mean(uses) > 20  # per episode: 4 rooms, 200 steps
    assert all(e.episode_metrics["coop/vibe_changes"] > 0 for e in signalled.episodes)


def test_clip_defense_stations_get_clipped_and_the_scripted_team_repairs_them_in_pairs():
    """Random agents make a few hearts and almost never repair; the scripted team (a clipped
    station in view first: two beside it, one moves in) repairs most clips and makes several
    times random's hearts."""
    from metta_lit.evaluation.runner import PolicyHandle, run_simulation

    (field,) = load_simulations(["clip_defense/field"])
    by_chance = run_simulation(PolicyHandle.from_uri("random"), field, seed=1)
    scripted = run_simulation(PolicyHandle.from_uri("scripted"), field, seed=1)
    clips = [e.episode_metrics["coop/clips"] for e in scripted.episodes]
    repairs = [e.episode_metrics["coop/repairs"] for e in scripted.episodes]
    random_repairs = [e.episode_metrics["coop/repairs"] for e in by_chance.episodes]
    assert np.mean(clips) >= 5 and np.mean(repairs) >= 0.5 * np.mean(clips) > np.mean(random_repairs)
    assert scripted.mean("heart.gained") > 3 * by_chance.mean("heart.gained") > 0
