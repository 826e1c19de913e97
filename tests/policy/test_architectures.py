"""Policy architectures: padding, memory resets, step vs sequence mode, URIs, feature remapping."""

from __future__ import annotations

import pytest
import torch
from tensordict import TensorDict
from torchrl.modules import set_recurrent_mode

from metta_lit.checkpoints import CheckpointManager
from metta_lit.checkpoints.policy_file import save_policy
from metta_lit.env import env_config
from metta_lit.policy import CortexPolicy, FastPolicy, LSTMPolicy, MambaPolicy
from metta_lit.policy.mamba import associative_scan
from metta_lit.policy.registry import ARCHITECTURES as REGISTRY
from metta_lit.rl.torch_env import MettaGridTorchEnv

ENV = MettaGridTorchEnv(env_config("navigation"), num_envs=1)
# Every shipped architecture, made small so the tests run fast (ViT sizes are the registry's).
SMALL = {
    LSTMPolicy: {"embed_dim": 16, "hidden_size": 32},
    FastPolicy: {"hidden_size": 32},
    MambaPolicy: {"embed_dim": 16, "hidden_size": 32, "d_inner": 24, "d_state": 4},
    CortexPolicy: {"embed_dim": 16, "hidden_size": 32, "window": 3, "heads": 2},
}
ARCHITECTURES = {
    name: (lambda spec, names, cls=cls, init=init: cls(spec, names, **init, **SMALL.get(cls, {})))
    for name, (cls, init) in REGISTRY.items()
    if name != "vit_med"  # the size of vit_small with more layers: nothing more to test, slower
}
TOKEN_SETS = tuple(name for name, (cls, _) in REGISTRY.items() if cls is not FastPolicy and name in ARCHITECTURES)


def test_the_parallel_scan_equals_the_recurrence():
    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(3, 13, 5, generator=g), torch.randn(3, 13, 5, generator=g)
    a[1, 6] = 0.0  # a reset in the middle of a row
    h, expected = torch.zeros(3, 5), []
    for t in range(13):
        h = a[:, t] * h + b[:, t]
        expected.append(h)
    torch.testing.assert_close(associative_scan(a, b), torch.stack(expected, 1), atol=1e-5, rtol=1e-5)


def build(name: str, spec=None):
    torch.manual_seed(0)
    return ARCHITECTURES[name](spec or ENV.feature_spec, ENV.action_names).eval()


def observations(n: int, real: int = 30, tokens: int = 200, seed: int = 0) -> torch.Tensor:
    """``n`` windows with ``real`` tokens at distinct cells, the rest padding (0xFF)."""
    g = torch.Generator().manual_seed(seed)
    obs = torch.full((n, tokens, 3), 0xFF, dtype=torch.uint8)
    ids = torch.tensor([info["id"] for info in ENV.feature_spec.values()], dtype=torch.uint8)
    for i in range(n):
        cells = torch.randperm(121, generator=g)[:real]
        obs[i, :real, 0] = ((cells // 11) << 4 | cells % 11).to(torch.uint8)
        obs[i, :real, 1] = ids[torch.randint(0, len(ids), (real,), generator=g)]
        obs[i, :real, 2] = torch.randint(0, 5, (real,), generator=g, dtype=torch.uint8)
    return obs


def step(policy, obs: torch.Tensor, is_init: bool = True, memory=None) -> TensorDict:
    n = obs.shape[0]
    td = TensorDict({"observation": obs, "is_init": torch.full((n, 1), is_init)}, batch_size=[n])
    td.update(memory or {k: torch.zeros(n, *s) for k, s in policy.memory_shapes().items()})
    with torch.no_grad():
        return policy(td)


@pytest.mark.parametrize("name", TOKEN_SETS)
def test_padding_never_changes_the_output(name):
    policy = build(name)
    obs = observations(4)
    base = step(policy, obs)
    garbage = obs.clone()
    garbage[:, 30:, 1:] = torch.randint(0, 255, (4, 170, 2), dtype=torch.uint8)  # padding with junk fields
    shorter = obs[:, :40]  # fewer padding slots
    shuffled = obs[:, torch.randperm(200)]  # token order is irrelevant to a set encoder
    for other in (garbage, shorter, shuffled):
        out = step(policy, other)
        torch.testing.assert_close(out["logits"], base["logits"], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(out["state_value"], base["state_value"], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_memory_resets_at_episode_start(name):
    policy = build(name)
    obs = observations(3)
    carried = {k: torch.randn(3, *s) for k, s in policy.memory_shapes().items()}
    fresh = step(policy, obs, is_init=True)
    reset = step(policy, obs, is_init=True, memory=carried)
    kept = step(policy, obs, is_init=False, memory=carried)
    torch.testing.assert_close(reset["logits"], fresh["logits"])
    assert not torch.allclose(kept["logits"], fresh["logits"])


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_step_mode_equals_sequence_mode(name):
    policy = build(name)
    T = 5
    obs = torch.stack([observations(2, seed=t) for t in range(T)], 1)  # [2, T, tokens, 3]
    is_init = torch.zeros(2, T, 1, dtype=torch.bool)
    is_init[:, 0] = True
    is_init[1, 3] = True  # an episode starts mid-row
    zeros = {k: torch.zeros(2, T, *s) for k, s in policy.memory_shapes().items()}
    seq = TensorDict({"observation": obs, "is_init": is_init, **zeros}, batch_size=[2, T])
    with set_recurrent_mode(True), torch.no_grad():
        whole = policy(seq)["logits"]
    memory, stepped = {k: v[:, 0] for k, v in zeros.items()}, []
    for t in range(T):
        td = TensorDict({"observation": obs[:, t], "is_init": is_init[:, t], **memory}, batch_size=[2])
        with torch.no_grad():
            policy(td)
        memory = {k: td["next", k] for k in memory}
        stepped.append(td["logits"])
    torch.testing.assert_close(whole, torch.stack(stepped, 1), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_policy_uri_round_trip_needs_no_training_config(name, tmp_path):
    policy = build(name)
    path = tmp_path / f"{name}:v2.mpt"
    save_policy(policy, str(path), {})
    loaded, key, _ = CheckpointManager.load_from_uri(f"file://{path}")
    assert type(loaded) is type(policy) and key.version == 2
    obs = observations(2)
    torch.testing.assert_close(step(loaded.eval(), obs)["logits"], step(policy, obs)["logits"])


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_features_are_remapped_by_name_on_a_permuted_layout(name):
    policy = build(name)
    obs = observations(3)
    expected = step(policy, obs)["logits"]
    # Another env numbers the same features differently: ids reversed.
    names = list(ENV.feature_spec)
    ids = [ENV.feature_spec[n]["id"] for n in names]
    permuted = {n: {**ENV.feature_spec[n], "id": i} for n, i in zip(names, reversed(ids), strict=True)}
    renumber = torch.arange(256, dtype=torch.uint8)
    for n in names:
        renumber[ENV.feature_spec[n]["id"]] = permuted[n]["id"]
    moved = obs.clone()
    real = moved[..., 0] != 0xFF
    moved[..., 1][real] = renumber[moved[..., 1][real].long()]
    policy.initialize_to_environment(permuted, ENV.action_names)
    torch.testing.assert_close(step(policy, moved)["logits"], expected)


@pytest.mark.parametrize(
    ("class_path", "init_args"),
    [
        ("metta_lit.policy.LSTMPolicy", []),
        ("metta_lit.policy.ViTPolicy", ["size", "tiny"]),
        ("metta_lit.policy.MambaPolicy", ["d_state", "8"]),
        ("metta_lit.policy.CortexPolicy", ["window", "4"]),
    ],
)
def test_architectures_are_selected_from_the_cli(tmp_path, class_path, init_args):
    from conftest import EPOCH, fit_args

    from metta_lit.cli.trainer import cli

    extra = [f"--model.init_args.policy.init_args.{init_args[0]}", init_args[1]] if init_args else []
    run = cli(
        [
            *fit_args("arch", EPOCH),
            "--model.init_args.policy.class_path",
            class_path,
            *extra,
            "--checkpoint.data_dir",
            str(tmp_path),
        ]
    )
    assert type(run.model.policy).__name__ == class_path.rsplit(".", 1)[1] and run.model.agent_steps == EPOCH
    (saved,) = (tmp_path / "arch" / "checkpoints").glob("*.mpt")
    loaded, _, _ = CheckpointManager.load_from_uri(str(saved))
    assert loaded.architecture == run.model.policy.architecture
