"""Policies act on token observations: the shim, recurrent mode, action catalogs by name, memory."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import make_game, nav_env
from tensordict import TensorDict
from torchrl.envs import TransformedEnv
from torchrl.modules import set_recurrent_mode

from metta_lit.env import env_config
from metta_lit.policy import FastPolicy, ObsShimBox, PolicyEnvError
from metta_lit.rl.torch_env import MettaGridTorchEnv


def test_obs_shim_scatters_tokens_by_feature_name():
    spec = {"type_id": {"id": 0, "normalization": 1.0}, "inv:heart": {"id": 17, "normalization": 100.0}}
    shim = ObsShimBox(spec, 3, 3)
    tokens = torch.tensor([[[0x11, 0, 8], [0x02, 17, 50], [0x20, 99, 7], [0xFF, 0xFF, 0xFF]]], dtype=torch.uint8)
    box = shim(tokens)
    assert box.shape == (1, 2, 3, 3)
    expected = torch.zeros(1, 2, 3, 3)
    expected[0, 0, 1, 1] = 8.0  # type_id at row 1, col 1
    expected[0, 1, 0, 2] = 0.5  # 50 hearts / 100 at row 0, col 2; feature 99 is unknown: dropped
    assert torch.equal(box, expected)
    # An env that numbers features differently is mapped by name.
    shim.initialize_to_environment(
        {"type_id": {"id": 0, "normalization": 1.0}, "inv:heart": {"id": 30, "normalization": 100.0}}
    )
    moved = torch.tensor([[[0x02, 30, 50]]], dtype=torch.uint8)
    assert shim(moved)[0, 1, 0, 2] == 0.5


def test_recurrent_mode_over_a_row_equals_stepping():
    env = nav_env(num_envs=1)
    policy = FastPolicy(env.feature_spec, env.action_names)
    obs = torch.from_numpy(np.random.default_rng(0).integers(0, 30, size=(1, 5, 200, 3)).astype(np.uint8))
    is_init = torch.tensor([[True, False, False, True, False]]).unsqueeze(-1)  # a reset mid-row
    seq = TensorDict(
        {"observation": obs, "is_init": is_init, **{k: torch.zeros(1, 5, 2, 128) for k in ("lstm_h", "lstm_c")}},
        batch_size=[1, 5],
    )
    with set_recurrent_mode(True):
        whole = policy(seq.clone())["logits"]
    stepped = []
    memory = {k: torch.zeros(1, 2, 128) for k in ("lstm_h", "lstm_c")}
    for t in range(5):
        td = TensorDict({"observation": obs[:, t], "is_init": is_init[:, t], **memory}, batch_size=[1])
        policy(td)
        memory = {k: td["next", k] for k in ("lstm_h", "lstm_c")}
        stepped.append(td["logits"])
    torch.testing.assert_close(whole, torch.stack(stepped, 1), atol=1e-5, rtol=1e-5)


def test_policy_acts_in_an_env_whose_actions_are_a_subset_matched_by_name():
    arena = MettaGridTorchEnv(env_config("arena"), num_envs=1)
    nav = nav_env(num_envs=1)
    torch.manual_seed(0)
    policy = FastPolicy(arena.feature_spec, arena.action_names)
    assert set(nav.action_names) < set(arena.action_names) and len(arena.action_names) == 16
    env = TransformedEnv(nav, policy.memory_transform())
    td = env.reset()
    full = policy(td.clone())["logits"]
    policy.initialize_to_environment(nav.feature_spec, nav.action_names)
    out = policy.actor()(td)
    columns = [arena.action_names.index(name) for name in nav.action_names]  # by name, in the env's order
    torch.testing.assert_close(out["logits"], full[..., columns])
    rollout = env.rollout(5, policy.actor(), auto_reset=True)  # acts in navigation without error
    assert rollout["action"].max() < len(nav.action_names)


def test_policy_refuses_an_env_with_actions_it_never_learned_and_names_them():
    env = nav_env()
    policy = FastPolicy(env.feature_spec, env.action_names)
    other = MettaGridTorchEnv(make_game(["@."]), num_envs=1)
    with pytest.raises(PolicyEnvError, match=r"the env has actions \['rotate_north', .*'swap'.*not trained with"):
        policy.initialize_to_environment(other.feature_spec, other.action_names)


def test_evaluate_rows_mixing_reset_and_plain_rows_matches_row_by_row():
    from metta_lit.rl.experience import evaluate_rows

    env = nav_env(num_envs=1)
    torch.manual_seed(0)
    policy = FastPolicy(env.feature_spec, env.action_names)
    rows, steps = 4, 6
    is_init = torch.zeros(rows, steps, 1, dtype=torch.bool)
    is_init[:, 0] = True
    is_init[1, 3] = is_init[3, 2] = True  # two rows start a new episode mid-row
    batch = TensorDict(
        {
            "observation": torch.randint(0, 30, (rows, steps, 200, 3), dtype=torch.uint8),
            "is_init": is_init,
            "action": torch.randint(0, 6, (rows, steps)),
            "lstm_h": torch.randn(rows, steps, 2, 128),
            "lstm_c": torch.randn(rows, steps, 2, 128),
        },
        batch_size=[rows, steps],
    )
    together = evaluate_rows(policy, batch)
    for r in range(rows):
        alone = evaluate_rows(policy, batch[r : r + 1])
        torch.testing.assert_close(
            together["action_log_prob"][r : r + 1], alone["action_log_prob"], atol=1e-5, rtol=1e-5
        )
        torch.testing.assert_close(together["state_value"][r : r + 1], alone["state_value"], atol=1e-5, rtol=1e-5)


def test_memory_is_declared_once_and_the_env_transform_follows_it():
    env = nav_env(num_envs=3)
    policy = FastPolicy(env.feature_spec, env.action_names, hidden_size=32, lstm_layers=3)
    assert policy.memory_shapes() == {"lstm_h": (3, 32), "lstm_c": (3, 32)}
    td = TransformedEnv(env, policy.memory_transform()).reset()
    for key, shape in policy.memory_shapes().items():
        assert td[key].shape == (3, 4, *shape) and not td[key].any()
