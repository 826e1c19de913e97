"""EMA target (BYOL-style) as a loss mixin: predict a slowly-moving target's view of the future."""

from __future__ import annotations

import copy
from typing import Any

import torch
from tensordict import TensorDictBase
from torch import nn

from metta_lit.losses import functional as F
from metta_lit.losses.base import LossMixin
from metta_lit.rl.experience import forward_rows, policy_input_keys


class EMALoss(LossMixin):
    """A target copy of the policy, updated after every optimizer step as
    ``target = ema_decay * target + (1 - ema_decay) * online`` and never by gradients. A
    predictor MLP maps the online ``embedding`` of step ``t`` to the target's embedding of step
    ``t + ema_offset``; the loss is BYOL's ``2 - 2 cos`` between them (normalized MSE).
    """

    def __init__(
        self,
        *,
        ema_coef: float = 0.1,
        ema_decay: float = 0.99,
        ema_offset: int = 1,
        predictor_hidden: int = 128,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= ema_decay < 1.0:
            raise ValueError(f"model.ema_decay: must be in [0, 1), got {ema_decay}")
        if ema_offset < 1:
            raise ValueError(f"model.ema_offset: must be >= 1, got {ema_offset}")
        self.ema_coef, self.ema_decay, self.ema_offset = ema_coef, ema_decay, ema_offset
        size = self.policy_output_size("embedding", "EMALoss")
        self.predictor = nn.Sequential(nn.Linear(size, predictor_hidden), nn.ReLU(), nn.Linear(predictor_hidden, size))
        self.ema_target = copy.deepcopy(self.policy).requires_grad_(False)

    def loss_terms(self, minibatch: TensorDictBase, output: TensorDictBase) -> dict[str, torch.Tensor]:
        terms = super().loss_terms(minibatch, output)
        k = self.ema_offset
        if minibatch.shape[1] <= k:
            return terms
        with torch.no_grad():
            target = forward_rows(self.ema_target, minibatch.select(*policy_input_keys(self.ema_target)))["embedding"]
        predicted = nn.functional.normalize(self.predictor(output["embedding"][:, :-k]), dim=-1)
        active = self.active_steps(minibatch)
        played = None if active is None else active[:, :-k] & active[:, k:]  # both ends played
        loss = F.masked_mean(2.0 - 2.0 * (predicted * nn.functional.normalize(target[:, k:], dim=-1)).sum(-1), played)
        self.record_metric("ema", "loss", loss)
        terms["ema/byol"] = self.ema_coef * loss
        return terms

    @torch.no_grad()
    def after_minibatch(self, experience: TensorDictBase, index: torch.Tensor, output: TensorDictBase) -> None:
        super().after_minibatch(experience, index, output)
        for target, online in zip(self.ema_target.parameters(), self.policy.parameters(), strict=True):
            target.lerp_(online, 1.0 - self.ema_decay)
