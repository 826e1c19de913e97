"""Populations: an env holds agent *slots* (``max_agents``), each episode (or curriculum task)
places any number of agents up to them on a map up to the batch's size, and agents may die and
come back (``game.death``). A slot no agent plays reads as padding, gets no reward, ignores its
action and is marked inactive; a death ends that agent's trajectory alone."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_game, require_module
from pydantic import ValidationError

from metta_lit.core.errors import ConfigError
from metta_lit.env import MettaGridConfig, MettaGridVecEnv

EMPTY = 0xFF
# Moving costs one energy; agents start with 2 and die without any.
MORTAL = {
    "resource_names": ["energy", "heart"],
    "agent": {"initial_inventory": {"energy": 2}, "rewards": {"inventory": {"heart": 1.0}}},
    "actions": {"noop": True, "move": {"required_resources": {"energy": 1}, "consumed_resources": {"energy": 1}}},
    "objects": {"wall": {}},
}


def vec(rows: list[str], num_envs: int = 1, **overrides) -> MettaGridVecEnv:
    env = MettaGridVecEnv(MettaGridConfig(label="test", game=make_game(rows, **overrides)), num_envs=num_envs)
    env.reset()
    return env


def ids(env: MettaGridVecEnv) -> dict[str, int]:
    return {name: i for i, name in enumerate(env.action_names)}


def test_slots_beyond_the_agents_placed_are_inactive_padding_without_reward_or_action():
    env = vec(["@.@"], max_agents=4, agent={"rewards": {"stats": {"action.noop.success": 1.0}}})
    assert env.num_agents == 4 and env.observations.shape[1] == 4 and env.placed(0) == 2
    assert env.active[0].tolist() == [True, True, False, False]
    assert (env.observations[0, 2:] == EMPTY).all() and not (env.observations[0, :2] == EMPTY).all()
    actions = np.array([[0, 0, 99, -5]], np.int32)  # the inactive slots' actions are not even invalid
    for _ in range(3):
        env.step(actions)
    assert env.rewards[0].tolist() == [1.0, 1.0, 0.0, 0.0] and env.action_success[0].tolist() == [1, 1, 0, 0]
    stats = env.episode_stat_arrays(0)
    assert stats.agent.shape[0] == 2 and env.episode_rewards(0).tolist() == [3.0, 3.0]
    assert "action.invalid_type" not in env.episode_stats(0)["agent"][0]
    assert [o["agent_id"] for o in env.grid_objects(0) if o["type_name"] == "agent"] == [0, 1]


def test_a_task_switches_from_two_agents_to_four_on_a_smaller_map_in_the_same_buffers():
    base = MettaGridConfig(label="four", game=make_game(["@.@.", "....", "@.@."]))
    env = MettaGridVecEnv(base, num_envs=2)
    env.reset()
    buffers = [a.__array_interface__["data"][0] for a in (env.observations, env.rewards, env.active)]
    pair = base.with_overrides({"game.num_agents": 2, "game.map_builder.map_data": ["@.@", "..."]})
    task = env.compile_task(pair, "pair")
    env.assign_task(1, task)
    env.reset()
    assert env.placed(0) == 4 and env.placed(1) == 2 and env.map_size(1) == (3, 2) and env.map_size(0) == (4, 3)
    assert env.active.tolist() == [[True] * 4, [True, True, False, False]]
    assert env.initial_map(1) == [["agent.agent", "empty", "agent.agent"], ["empty"] * 3]
    assert (env.observations[1, 2:] == EMPTY).all()
    for _ in range(5):
        env.step(np.zeros((2, 4), np.int32))
    env.assign_task(1, env.compile_task(base, "four"))
    env.reset(mask=np.array([False, True]))
    assert env.placed(1) == 4 and env.active[1].all()
    # The same arrays all along: switching tasks allocates no buffer.
    assert buffers == [a.__array_interface__["data"][0] for a in (env.observations, env.rewards, env.active)]
    # A saved episode of the small task restores into an env of the batch.
    env.assign_task(1, task)
    env.reset(mask=np.array([False, True]))
    state = env.save_state(1)
    other = MettaGridVecEnv(base, num_envs=2)
    other.reset()
    other.load_state(0, state, task)
    assert (
        other.placed(0) == 2 and other.map_size(0) == (3, 2) and other.active[0].tolist() == [True, True, False, False]
    )


def test_a_task_with_more_agents_than_slots_or_a_larger_map_is_refused_by_name():
    base = MettaGridConfig(label="pair", game=make_game(["@.@"], max_agents=3))
    env = MettaGridVecEnv(base)
    four = base.with_overrides({"game.num_agents": 4, "game.max_agents": 4, "game.map_builder.map_data": ["@@@@"]})
    with pytest.raises(ConfigError, match="agent slots"):
        env.compile_task(four)
    with pytest.raises(ConfigError, match=r"map \(4x2\) is larger than the batch's \(3x1\)"):
        env.compile_task(base.with_overrides({"game.map_builder.map_data": ["@.@.", "...."]}))
    with pytest.raises(ValidationError, match="num_agents 3 is more than max_agents 2"):
        make_game(["@@@"], max_agents=2)


def test_an_agent_without_its_death_resource_dies_alone_and_returns_to_its_spawn_later():
    env = vec(["@..@"], **MORTAL, death={"resource": "energy", "respawn_delay": 3})
    move = ids(env)
    east, noop = move["move_east"], move["noop"]
    env.step(np.array([[east, noop]], np.int32))
    assert env.active[0].tolist() == [True, True] and not env.terminals[0].any()
    env.step(np.array([[east, noop]], np.int32))  # its last energy: it dies at this step's end
    assert env.terminals[0].tolist() == [True, False] and not env.done(0)
    assert env.active[0].tolist() == [False, True] and (env.observations[0, 0] == EMPTY).all()
    agent = next(o for o in env.grid_objects(0) if o["type_name"] == "agent" and o["agent_id"] == 0)
    assert agent["is_dead"] and agent["inventory"] == {}
    assert env.render_ascii(0) == "...@"  # off the map: its cell is free
    for _ in range(2):  # dead: actions ignored, no flags, no reward
        env.step(np.array([[east, noop]], np.int32))
        assert not env.active[0, 0] and not env.terminals[0, 0] and not env.truncations[0, 0]
    env.step(np.array([[east, noop]], np.int32))  # 3 steps after its death: back at its spawn
    assert env.truncations[0].tolist() == [True, False] and env.active[0].tolist() == [True, True]
    assert env.render_ascii(0) == "@..@"
    agent = next(o for o in env.grid_objects(0) if o["type_name"] == "agent" and o["agent_id"] == 0)
    assert not agent["is_dead"] and agent["inventory"] == {0: 2}  # its initial energy
    env.step(np.array([[noop, noop]], np.int32))
    assert not env.truncations[0].any()
    stats = env.episode_stats(0)["agent"]
    assert stats[0]["life.deaths"] == 1 and stats[0]["life.respawns"] == 1
    assert stats[0]["life.steps_alive"] == 3 and stats[1]["life.steps_alive"] == 6
    assert "life.deaths" not in stats[1]


def test_a_returning_agent_waits_while_its_spawn_cell_is_taken():
    env = vec(
        ["@.@"], **MORTAL, agent_initial_inventory={1: {"energy": 5}}, death={"resource": "energy", "respawn_delay": 2}
    )
    a = ids(env)
    env.step(np.array([[a["move_east"], a["noop"]]], np.int32))  # agent 0 to the middle, energy 1
    env.step(np.array([[a["move_west"], a["noop"]]], np.int32))  # back to its spawn, energy 0: dies there
    assert env.terminals[0, 0]
    env.step(np.array([[a["noop"], a["move_west"]]], np.int32))  # agent 1 moves to the middle
    env.step(np.array([[a["noop"], a["move_west"]]], np.int32))  # ... and onto agent 0's spawn, when 0 is due
    assert env.render_ascii(0) == "@.." and not env.active[0, 0]  # the cell is agent 1's: 0 waits
    env.step(np.array([[a["noop"], a["move_east"]]], np.int32))
    assert env.active[0].tolist() == [True, True] and env.render_ascii(0) == "@@."


def test_an_episode_ends_when_no_agent_is_alive_or_coming_back():
    env = vec(["@.@"], **MORTAL, max_steps=100, death={"resource": "energy", "respawn_delay": None})
    a = ids(env)
    env.step(np.array([[a["move_east"], a["noop"]]], np.int32))
    env.step(np.array([[a["move_west"], a["noop"]]], np.int32))  # agent 0 dies, never to return
    assert env.terminals[0].tolist() == [True, False] and not env.done(0)
    env.step(np.array([[a["noop"], a["move_west"]]], np.int32))
    env.step(np.array([[a["noop"], a["move_east"]]], np.int32))  # agent 1 dies: nobody is left
    assert env.done(0) and env.terminals[0].all() and env.current_step(0) == 4


@pytest.mark.parametrize(
    ("death", "message"),
    [
        ({"resource": "gold"}, "unknown resource 'gold'"),
        ({"resource": "heart"}, "start with no 'heart' and would die on the first step"),
        ({"resource": "energy", "respawn_delay": 0}, "greater than or equal to 1"),
    ],
)
def test_bad_death_configs_are_refused_in_one_line(death, message):
    with pytest.raises(ValidationError, match=message):
        make_game(["@"], **MORTAL, death=death)


def test_pettingzoos_api_test_passes_with_agents_dying_and_returning():
    require_module("pettingzoo")
    from pettingzoo.test import parallel_api_test

    from metta_lit.env.pettingzoo import MettaGridParallelEnv

    # Every action costs energy: agents 0-2 start with 2-4 and die, agent 3 outlives the episode.
    costly = {"required_resources": {"energy": 1}, "consumed_resources": {"energy": 1}}
    game = make_game(
        ["@...@", ".....", "@...@"],
        **{**MORTAL, "actions": {"noop": costly, "move": costly}},
        agent_initial_inventory={1: {"energy": 3}, 2: {"energy": 4}, 3: {"energy": 255}},
        max_steps=60,
        death={"resource": "energy", "respawn_delay": 2},
    )
    env = MettaGridParallelEnv(MettaGridConfig(label="mortal", game=game))
    assert len(env.possible_agents) == 4 * (1 + 60 // 3) and env.possible_agents[4] == "agent_0.1"
    parallel_api_test(env, num_cycles=60)
    # An agent that dies leaves `agents`; when it returns it is a new agent (a new name).
    env.reset(seed=0)
    seen_returns = set()
    while env.agents:
        _, _, terminations, _, _ = env.step({agent: 0 for agent in env.agents})  # noop: one energy each
        seen_returns |= {agent for agent in env.agents if "." in agent}
        assert not any(agent in env.agents for agent, done in terminations.items() if done)
    assert {"agent_0.1", "agent_1.1", "agent_2.1"} <= seen_returns and not any(
        a.startswith("agent_3.") for a in seen_returns
    )


def test_a_saved_state_with_an_impossible_life_is_refused_and_changes_nothing():
    """A checkpoint is a file a user hands us: an agent whose ``alive`` flag is neither 0 nor 1,
    or whose spawn cell lies off the map, is refused with one line and the env is left as it was."""
    import struct

    env = vec(["@..@"], **MORTAL, death={"resource": "energy", "respawn_delay": 3})
    good = bytearray(env.save_state(0))
    # Agent 1's life in its saved record: uint8 alive (then padding), int32 respawn_at -1, uint16
    # spawn row 0, uint16 spawn column 3 (its start), little-endian.
    tail = struct.pack("<iHH", -1, 0, 3)
    at = good.find(tail)
    assert at > 0 and good.find(tail, at + 1) == -1 and good[at - 4] == 1
    before = env.observations.copy(), env.grid_objects(0)
    for offset, value in ((at - 4, b"\x07"), (at + 4, struct.pack("<H", 60000))):
        bad = bytearray(good)
        bad[offset : offset + len(value)] = value
        with pytest.raises(ValueError, match="an agent's life .* is out of range"):
            env.load_state(0, bytes(bad))
    np.testing.assert_array_equal(env.observations, before[0])
    assert env.grid_objects(0) == before[1]
    env.load_state(0, bytes(good))  # the untouched state still loads
