"""The env through the ecosystem's interfaces: PettingZoo's and Gymnasium's own checkers pass."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_game

from metta_lit.core.errors import ConfigError
from metta_lit.env import MettaGridConfig, env_config

pettingzoo = pytest.importorskip("pettingzoo")
gymnasium = pytest.importorskip("gymnasium")


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
