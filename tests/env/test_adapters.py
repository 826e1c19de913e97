"""The env through the ecosystem's interfaces: PettingZoo's and Gymnasium's own checkers pass."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_game, require_module

from metta_lit.core.errors import ConfigError
from metta_lit.env import MettaGridConfig, env_config

pettingzoo = require_module("pettingzoo")
gymnasium = require_module("gymnasium")


def short(name: str, steps: int = 30) -> MettaGridConfig:
    return env_config(name).with_overrides({"game.max_steps": steps})


def test_the_parallel_env_passes_pettingzoos_api_test():
    from pettingzoo.test import parallel_api_test

    from metta_lit.env.pettingzoo import MettaGridParallelEnv

    parallel_api_test(MettaGridParallelEnv(short("arena")), num_cycles=60)


def test_the_parallel_env_plays_the_same_episode_as_the_vectorized_env():
    """Same config, seed and actions: the same observations and rewards as the native env."""
    from metta_lit.env import MettaGridVecEnv
    from metta_lit.env.pettingzoo import MettaGridParallelEnv

    config = short("navigation", 12)
    pz, vec = MettaGridParallelEnv(config, seed=3), MettaGridVecEnv(config, num_envs=1, seed=3)
    observations, _ = pz.reset(seed=3)
    vec.reset(seed=3)
    rng = np.random.default_rng(0)
    while pz.agents:
        actions = rng.integers(0, vec.num_actions, size=(1, vec.num_agents))
        observations, rewards, terminations, truncations, _ = pz.step(
            {agent: int(actions[0, i]) for i, agent in enumerate(pz.possible_agents)}
        )
        vec.step(actions)
        for i, agent in enumerate(pz.possible_agents):
            np.testing.assert_array_equal(observations[agent], vec.observations[0, i])
            assert rewards[agent] == vec.rewards[0, i]
    assert all(truncations.values()) or all(terminations.values())


def test_a_one_agent_config_passes_gymnasiums_env_checker():
    from gymnasium.utils.env_checker import check_env

    from metta_lit.env.gymnasium import MettaGridGymEnv

    game = make_game(["#####", "#@._#", "#####"])
    env = MettaGridGymEnv(MettaGridConfig(label="corridor", game=game))
    check_env(env, skip_render_check=True)
    observation, _ = env.reset(seed=1)
    assert observation.shape == env.observation_space.shape and env.observation_space.contains(observation)


def test_the_gymnasium_env_refuses_several_agents():
    from metta_lit.env.gymnasium import MettaGridGymEnv

    with pytest.raises(ConfigError, match="has 4 agents; a Gymnasium env has one"):
        MettaGridGymEnv("navigation")


def test_the_parallel_env_refuses_actions_it_cannot_use_with_one_line():
    from metta_lit.env.pettingzoo import MettaGridParallelEnv

    env = MettaGridParallelEnv(short("navigation", 12))
    with pytest.raises(RuntimeError, match=r"^step\(\) before reset\(\): call reset\(\) first$"):
        env.step({"agent_0": 1})
    env.reset(seed=0)
    for actions, error, message in [
        ({0: 1, 1: 2}, ValueError, r"^actions: no live agent 0 in this env \(4 live agents: 'agent_0' .. 'agent_3'\)$"),
        ({"agent_9": 1}, ValueError, "no live agent 'agent_9'"),
        ([1, 2, 3, 4], TypeError, r"^actions: expected a dict \{agent name: action id\}, got list$"),
        (
            {"agent_0": np.array([1, 2])},
            TypeError,
            r"actions\['agent_0'\]: expected an integer action id, got ndarray of shape \(2,\)",
        ),
        ({"agent_0": "move"}, TypeError, r"actions\['agent_0'\]: expected an integer action id, got str"),
        ({"agent_0": 1.5}, TypeError, "got float"),
    ]:
        with pytest.raises(error, match=message):
            env.step(actions)
    # integers of any kind work; a live agent left out takes noop (action 0)
    env.step({"agent_0": np.int64(1), "agent_1": np.array(2), "agent_2": 3})
    objects = env.vec.grid_object_records(0)
    assert objects.records["last_action"][objects.agents].tolist() == [1, 2, 3, 0]
    while env.agents:
        env.step({})
    with pytest.raises(RuntimeError, match="after the episode ended"):
        env.step({"agent_0": 1})


def test_the_gymnasium_env_refuses_a_missing_or_malformed_action():
    from metta_lit.env.gymnasium import MettaGridGymEnv

    env = MettaGridGymEnv(MettaGridConfig(label="corridor", game=make_game(["#####", "#@._#", "#####"])))
    with pytest.raises(RuntimeError, match="before reset"):
        env.step(0)
    env.reset(seed=0)
    for action, message in [
        (None, "got NoneType"),
        ("1", "got str"),
        (np.zeros(2, int), "got ndarray of shape \\(2,\\)"),
    ]:
        with pytest.raises(TypeError, match=f"^action: expected an integer action id, {message}"):
            env.step(action)
    env.step(np.int64(2**40))  # out of the catalog: an invalid action, as the vectorized env counts it
