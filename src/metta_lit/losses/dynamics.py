"""Dynamics as a loss mixin: predict the next reward and the near-future return from the core."""

from __future__ import annotations

from typing import Any

import torch
from tensordict import TensorDictBase
from torch import nn

from metta_lit.losses import functional as F
from metta_lit.losses.base import LossMixin


class DynamicsLoss(LossMixin):
    """Two linear heads on the policy's ``core``: the reward that follows each step, and the
    discounted return of the next ``look_ahead`` steps (within the row, stopping at an episode
    end). Their MSEs, weighted by ``reward_pred_coef`` and ``return_pred_coef``, shape the core
    (and everything under it) to carry what the future holds.
    """

    def __init__(
        self,
        *,
        look_ahead: int = 8,
        dynamics_gamma: float = 0.99,
        reward_pred_coef: float = 1.0,
        return_pred_coef: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if look_ahead < 1:
            raise ValueError(f"model.look_ahead: must be >= 1, got {look_ahead}")
        self.look_ahead, self.dynamics_gamma = look_ahead, dynamics_gamma
        self.reward_pred_coef, self.return_pred_coef = reward_pred_coef, return_pred_coef
        size = self.policy_output_size("core", "DynamicsLoss")
        self.reward_head = nn.Linear(size, 1)
        self.return_head = nn.Linear(size, 1)

    def experience_keys(self) -> set:
        return super().experience_keys() | {("next", "reward"), ("next", "done")}

    def prepare_experience(self, experience: TensorDictBase) -> None:
        super().prepare_experience(experience)
        rewards, dones = experience["next", "reward"].squeeze(-1), experience["next", "done"].squeeze(-1)
        experience["dynamics", "returns"] = F.lookahead_returns(rewards, dones, self.dynamics_gamma, self.look_ahead)

    def loss_terms(self, minibatch: TensorDictBase, output: TensorDictBase) -> dict[str, torch.Tensor]:
        terms = super().loss_terms(minibatch, output)
        core, active = output["core"], self.active_steps(minibatch)
        reward = F.masked_mean(
            (self.reward_head(core).squeeze(-1) - minibatch["next", "reward"].squeeze(-1)) ** 2, active
        )
        future = F.masked_mean((self.return_head(core).squeeze(-1) - minibatch["dynamics", "returns"]) ** 2, active)
        self.record_metric("dynamics", "reward_mse", reward)
        self.record_metric("dynamics", "return_mse", future)
        terms["dynamics/reward"] = self.reward_pred_coef * reward
        terms["dynamics/return"] = self.return_pred_coef * future
        return terms
