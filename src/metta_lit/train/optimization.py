"""The optimizer and the learning-rate schedule of a training run, over agent steps.

The schedule is a function of agent steps (the budget's unit), not of optimizer steps, so a
run's rate does not depend on its batch size or rank count; it is applied by hand each update
because optimization is manual (losses step once per minibatch).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import torch

from metta_lit.rl.schedules import progress, scale


def adam(parameters: Iterable[torch.nn.Parameter], hparams: Mapping[str, Any]) -> torch.optim.Adam:
    return torch.optim.Adam(
        parameters, lr=hparams["learning_rate"], betas=tuple(hparams["adam_betas"]), eps=hparams["adam_eps"]
    )


def learning_rate(hparams: Mapping[str, Any], agent_steps: int) -> float:
    """``learning_rate`` scaled by ``lr_schedule`` (constant, linear or cosine decay to 0 at
    ``total_timesteps``)."""
    done = progress(agent_steps, hparams["total_timesteps"])
    return hparams["learning_rate"] * scale(hparams["lr_schedule"], done)


def set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
