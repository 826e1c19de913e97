"""Mixed precision: bf16 only inside the network; sampling, memory and losses stay fp32."""

from __future__ import annotations

import pytest
import torch
from tensordict import TensorDict

from metta_lit.env import env_config
from metta_lit.policy import FastPolicy
from metta_lit.policy.precision import autocast_dtype, bf16_pays
from metta_lit.rl.acting import acting_env
from metta_lit.rl.experience import evaluate_rows
from metta_lit.rl.torch_env import MettaGridTorchEnv


def test_settings_resolve_per_device(monkeypatch):
    cpu = torch.device("cpu")
    assert autocast_dtype("off", cpu) is None
    assert autocast_dtype("bf16", cpu) is torch.bfloat16
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert not bf16_pays(cpu) and autocast_dtype("auto", cpu) is None  # measured slower without AMX
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    assert bf16_pays(cpu) and autocast_dtype("auto", cpu) is torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert autocast_dtype("auto", torch.device("cuda")) is torch.bfloat16
    assert autocast_dtype("auto", torch.device("meta")) is None


def test_bf16_rollout_and_update_hand_fp32_to_everything_downstream():
    torch.manual_seed(0)
    base = MettaGridTorchEnv(env_config("navigation"), num_envs=2, seed=0)
    policy = FastPolicy(base.feature_spec, base.action_names)
    env, actor = acting_env(base, [(policy, base.vec.num_agents)], autocast=torch.bfloat16)
    steps = []
    td = env.reset()
    with torch.no_grad():
        for _ in range(6):
            td = actor(td)
            steps.append(td.clone())
            td = env.step_and_maybe_reset(td)[1]
    rollout = torch.stack(steps, dim=-1)  # [E, A, T]
    for key in ("logits", "state_value", "action_log_prob", ("next", "lstm_h"), ("next", "lstm_c")):
        assert rollout[key].dtype == torch.float32, key
    assert (rollout["next", "lstm_h"] != 0).any()

    rows = rollout.reshape(-1, rollout.shape[-1])
    minibatch = TensorDict(
        {k: rows[k] for k in ("observation", "is_init", "lstm_h", "lstm_c", "action")}, batch_size=rows.shape
    )
    computed: list[torch.dtype] = []  # what the network's linear layers compute in under autocast
    hooks = [
        m.register_forward_hook(lambda _m, _i, out: computed.append(out.dtype))
        for m in policy.modules()
        if isinstance(m, torch.nn.Linear)
    ]
    low = evaluate_rows(policy, minibatch, torch.bfloat16)
    for hook in hooks:
        hook.remove()
    assert computed and set(computed) == {torch.bfloat16}  # the network really ran in bf16
    full = evaluate_rows(policy, minibatch)
    for key in ("logits", "state_value", "action_log_prob", "entropy", "core"):
        assert low[key].dtype == torch.float32, key
    # The update replays the rollout: bf16 log-probs match the actor's and fp32's to bf16 precision.
    torch.testing.assert_close(low["action_log_prob"], rows["action_log_prob"], atol=0.05, rtol=0.02)
    torch.testing.assert_close(low["action_log_prob"], full["action_log_prob"], atol=0.05, rtol=0.02)
    low["action_log_prob"].sum().backward()
    grads = [p.grad for p in policy.parameters() if p.grad is not None]
    assert len(grads) > len(list(policy.parameters())) // 2  # the loss reached the network
    assert all(g.dtype == torch.float32 and torch.isfinite(g).all() and g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("setting", ["bf16", "off"])
def test_fit_runs_in_either_precision_from_the_cli(tmp_path, setting):
    from conftest import EPOCH, fit_args

    from metta_lit.cli.trainer import cli

    run = cli([*fit_args("p", EPOCH), "--model.init_args.autocast", setting, "--checkpoint.data_dir", str(tmp_path)])
    model = run.model
    assert model.network_dtype == (torch.bfloat16 if setting == "bf16" else None)
    assert model.agent_steps == EPOCH
    assert all(p.dtype == torch.float32 and torch.isfinite(p).all() for p in model.policy.parameters())
