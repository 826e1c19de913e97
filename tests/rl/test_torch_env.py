"""The TorchRL env over the native env: specs, buffers, partial resets, the collector."""

from __future__ import annotations

import numpy as np
import torch
from conftest import nav_env
from torchrl.collectors import Collector
from torchrl.envs import TransformedEnv, check_env_specs
from torchrl.envs.utils import step_mdp

from metta_lit.policy import FastPolicy


def test_env_specs_pass_check_env_specs():
    env = nav_env()
    assert env.batch_size == torch.Size([2, 4])
    check_env_specs(env)
    policy = FastPolicy(env.feature_spec, env.action_names)
    check_env_specs(TransformedEnv(env, policy.memory_transform()))


def test_observations_are_views_of_the_native_buffers_and_steps_hand_out_copies():
    env = nav_env()
    assert np.shares_memory(env._obs.numpy(), env.vec.observations)
    td = env.reset()
    td["action"] = torch.zeros(2, 4, dtype=torch.int64)
    out = env.step(td)
    before = out["next", "observation"].clone()
    env.step(step_mdp(out).set("action", torch.ones(2, 4, dtype=torch.int64)))
    assert torch.equal(out["next", "observation"], before)  # the stored step is not overwritten
    assert not torch.equal(env._obs, before)  # while the native buffer moved on


def test_episode_end_resets_through_torchrl_partial_resets():
    env = nav_env(max_steps=4)
    rollout = env.rollout(10, break_when_any_done=False)  # [E, A, T]
    done = rollout["next", "done"].squeeze(-1)
    assert done[:, :, 3].all() and done[:, :, 7].all() and not done[:, :, :3].any()
    assert rollout["next", "terminated"].squeeze(-1)[:, :, 3].all()
    assert len(env.pop_finished_episodes()) == 4  # 2 envs x 2 episodes
    assert env.vec.current_step(0) == 2  # reset after step 8, then two more steps


def test_collector_batches_and_memory_reset():
    env = nav_env(num_envs=2, max_steps=5)
    policy = FastPolicy(env.feature_spec, env.action_names)
    collector = Collector(
        TransformedEnv(env, policy.memory_transform()),
        policy.actor(),
        frames_per_batch=2 * 4 * 8,
        total_frames=-1,
        auto_register_policy_transforms=False,
    )
    batch = next(iter(collector))
    collector.shutdown()
    assert batch.shape == torch.Size([2, 4, 8])
    is_init = batch["is_init"].squeeze(-1)
    assert is_init[:, :, 0].all() and is_init[:, :, 5].all() and not is_init[:, :, 1:5].any()
    assert (batch["lstm_h"][:, :, 5] == 0).all()  # fresh memory after the episode ended
    assert (batch["lstm_h"][:, :, 4] != 0).any()


def test_a_death_ends_that_agents_trajectory_and_its_return_starts_a_fresh_memory():
    """Agent 0 of a two-agent corridor dies at step 2 (noop, the only action, costs energy; it
    starts with 2), returns at step 5 and dies again at step 7: in the collector's batch its
    transitions 1 and 6 are done (no return is bootstrapped across a death) while agent 1 and
    the env go on, its slot is inactive while it is away, and its first step back starts a new
    trajectory (``is_init``, zeroed memory)."""
    from metta_lit.env import MettaGridConfig
    from metta_lit.rl.torch_env import MettaGridTorchEnv

    costly = {"required_resources": {"energy": 1}, "consumed_resources": {"energy": 1}}
    game = {
        "num_agents": 2,
        "resource_names": ["energy"],
        "agent": {"initial_inventory": {"energy": 2}},
        "agent_initial_inventory": {1: {"energy": 100}},
        "actions": {"noop": costly},
        "objects": {"wall": {}},
        "death": {"resource": "energy", "respawn_delay": 3},
        "map_builder": {"type": "ascii", "map_data": ["@.@"]},
    }
    env = MettaGridTorchEnv(MettaGridConfig(label="mortal", game=game))
    policy = FastPolicy(env.feature_spec, env.action_names)
    collector = Collector(
        TransformedEnv(env, policy.memory_transform()),
        policy.actor(),
        frames_per_batch=2 * 8,
        total_frames=-1,
        auto_register_policy_transforms=False,
    )
    batch = next(iter(collector))[0]  # [agents, steps]
    collector.shutdown()
    done, active = batch["next", "done"].squeeze(-1), batch["active"].squeeze(-1)
    assert done[0].tolist() == [False, True, False, False, True, False, True, False]
    assert not done[1].any() and env.vec.current_step(0) == 8
    assert active[0].tolist() == [True, True, False, False, False, True, True, False] and active[1].all()
    assert batch["is_init"].squeeze(-1)[0].tolist() == [True, False, True, False, False, True, False, True]
    assert (batch["lstm_h"][0, 5] == 0).all() and not (batch["lstm_h"][1, 5] == 0).all()
