"""The optimizers and the learning-rate schedule of a training run, over agent steps.

The schedule is a function of agent steps (the budget's unit), not of optimizer steps, so a
run's rate does not depend on its batch size or rank count; it is applied by hand each update
because optimization is manual (losses step once per minibatch).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import torch
from torch import nn

from metta_lit.policy.core import ActorCriticHeads
from metta_lit.rl.schedules import progress, scale


def adam(parameters: Iterable[torch.nn.Parameter], hparams: Mapping[str, Any]) -> torch.optim.Adam:
    return torch.optim.Adam(
        parameters, lr=hparams["learning_rate"], betas=tuple(hparams["adam_betas"]), eps=hparams["adam_eps"]
    )


def muon_parameters(policy: nn.Module) -> list[nn.Parameter]:
    """The policy's hidden weight matrices, which Muon orthogonalizes: every trainable 2-D
    weight (linear layers, LSTM gates) except the layers writing logits and value and the
    embedding tables, which Muon's authors leave to Adam."""
    apart = {
        id(p) for heads in policy.modules() if isinstance(heads, ActorCriticHeads) for p in heads.output_parameters()
    }
    apart |= {id(m.weight) for m in policy.modules() if isinstance(m, nn.Embedding)}
    return [p for p in policy.parameters() if p.ndim == 2 and p.requires_grad and id(p) not in apart]


def build_optimizers(module: nn.Module, policy: nn.Module, hparams: Mapping[str, Any]) -> list[torch.optim.Optimizer]:
    """``adam``: Adam over every parameter of the module (policy and any loss heads). ``muon``:
    torch's Muon over the policy's hidden weight matrices, at Adam's learning rate (its
    ``match_rms_adamw`` scaling makes the two comparable), and Adam over everything else."""
    if hparams["optimizer"] == "adam":
        return [adam(module.parameters(), hparams)]
    matrices = muon_parameters(policy)
    chosen = {id(p) for p in matrices}
    rest = [p for p in module.parameters() if id(p) not in chosen]
    muon = torch.optim.Muon(matrices, lr=hparams["learning_rate"], weight_decay=0.0, adjust_lr_fn="match_rms_adamw")
    return [adam(rest, hparams), muon]


def learning_rate(hparams: Mapping[str, Any], agent_steps: int) -> float:
    """``learning_rate`` scaled by ``lr_schedule`` (constant, linear or cosine decay to 0 at
    ``total_timesteps``)."""
    done = progress(agent_steps, hparams["total_timesteps"])
    return hparams["learning_rate"] * scale(hparams["lr_schedule"], done)


def set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
