"""The optimizer and the learning-rate schedule of a training run, over agent steps.

The schedule is a function of agent steps (the budget's unit), not of optimizer steps, so a
run's rate does not depend on its batch size or rank count; it is applied by hand each update
because optimization is manual (losses step once per minibatch).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import torch


def adam(parameters: Iterable[torch.nn.Parameter], hparams: Mapping[str, Any]) -> torch.optim.Adam:
    return torch.optim.Adam(
        parameters, lr=hparams["learning_rate"], betas=tuple(hparams["adam_betas"]), eps=hparams["adam_eps"]
    )


def learning_rate(hparams: Mapping[str, Any], agent_steps: int) -> float:
    """``learning_rate`` scaled by ``lr_schedule`` (constant, linear or cosine decay to 0 at
    ``total_timesteps``)."""
    progress = min(1.0, agent_steps / max(1, hparams["total_timesteps"]))
    scale = {"constant": 1.0, "linear": 1.0 - progress, "cosine": 0.5 * (1.0 + math.cos(math.pi * progress))}
    return hparams["learning_rate"] * scale[hparams["lr_schedule"]]


def set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
