"""The optimizers: which parameters Muon takes, and a run that trains with it."""

from __future__ import annotations

import torch

from metta_lit.env import env_config
from metta_lit.policy import FastPolicy, ViTPolicy
from metta_lit.rl.torch_env import MettaGridTorchEnv
from metta_lit.train.optimization import build_optimizers, muon_parameters
from tests.conftest import NAV, fit_in_process

ENV = MettaGridTorchEnv(env_config("navigation"), num_envs=1)


def names(policy: torch.nn.Module, params: list[torch.nn.Parameter]) -> set[str]:
    chosen = {id(p) for p in params}
    return {name for name, p in policy.named_parameters() if id(p) in chosen}


def test_muon_takes_the_hidden_matrices_and_adam_the_rest():
    policy = FastPolicy(ENV.feature_spec, ENV.action_names)
    muon = names(policy, muon_parameters(policy))
    assert {"heads.actor.0.weight", "heads.critic.0.weight", "lstm.lstm.weight_hh_l0", "lstm.lstm.weight_ih_l1"} <= muon
    assert not muon & {"heads.actor.2.weight", "heads.critic.2.weight"}  # logits and value: Adam
    assert all(p.ndim == 2 for _, p in policy.named_parameters() if _ in muon)  # conv kernels and biases: Adam
    vit = ViTPolicy(ENV.feature_spec, ENV.action_names, size="tiny")
    embeddings = {f"{n}.weight" for n, m in vit.named_modules() if isinstance(m, torch.nn.Embedding)}
    assert embeddings and not names(vit, muon_parameters(vit)) & embeddings
    hparams = {"optimizer": "muon", "learning_rate": 1e-3, "adam_betas": (0.9, 0.999), "adam_eps": 1e-8}
    adam, muon_optimizer = build_optimizers(policy, policy, hparams)
    assert isinstance(muon_optimizer, torch.optim.Muon)
    split = [{id(p) for group in o.param_groups for p in group["params"]} for o in (adam, muon_optimizer)]
    assert not split[0] & split[1] and split[0] | split[1] == {id(p) for p in policy.parameters()}  # each once


def test_a_run_with_muon_trains_every_parameter(tmp_path):
    torch.manual_seed(0)
    cli = fit_in_process(
        NAV, 2048, tmp_path, "muon", "--model.init_args.optimizer", "muon", "--model.init_args.num_envs", "8"
    )
    module = cli.model
    adam, muon = module.optimizers()
    assert module.agent_steps == 2048 and isinstance(muon.optimizer, torch.optim.Muon)
    stepped = [p for o in (adam, muon) for g in o.optimizer.param_groups for p in g["params"] if o.optimizer.state[p]]
    assert len(stepped) == sum(1 for p in module.parameters() if p.requires_grad)  # every parameter was stepped
    assert (tmp_path / "muon" / "checkpoints" / "last.ckpt").is_file()
