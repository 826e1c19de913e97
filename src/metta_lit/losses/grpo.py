"""GRPO as a loss mixin: critic-free policy optimization with group-baselined returns."""

from __future__ import annotations

from typing import Any

import torch
from tensordict import TensorDictBase

from metta_lit.losses import functional as F
from metta_lit.losses.base import LossMixin


class GRPOLoss(LossMixin):
    """Each row (one agent's segment of ``bptt_horizon`` steps) gets its discounted
    reward-to-go; the advantage is that return minus its mean over a group of ``group_size``
    consecutive segments (the agents of one env, when ``group_size`` is its agent count),
    optionally scaled by the group-wide std. The policy follows the clipped surrogate plus an
    entropy bonus. No value is learned: use it instead of PPO (``metta_lit.train.GRPO``).
    """

    def __init__(
        self,
        *,
        grpo_gamma: float = 0.99,
        group_size: int = 4,
        grpo_clip_coef: float = 0.2,
        grpo_ent_coef: float = 0.01,
        grpo_norm_adv: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if group_size < 2:
            raise ValueError(f"model.group_size: a group needs >= 2 segments, got {group_size}")
        self.grpo_gamma, self.group_size = grpo_gamma, group_size
        self.grpo_clip_coef, self.grpo_ent_coef, self.grpo_norm_adv = grpo_clip_coef, grpo_ent_coef, grpo_norm_adv

    def experience_keys(self) -> set:
        return super().experience_keys() | {"action_log_prob", ("next", "reward"), ("next", "done")}

    def prepare_experience(self, experience: TensorDictBase) -> None:
        super().prepare_experience(experience)
        returns = F.discounted_returns(
            experience["next", "reward"].squeeze(-1), experience["next", "done"].squeeze(-1), self.grpo_gamma
        )
        active = self.active_steps(experience)
        advantages = F.group_baselined(returns, self.group_size, active)
        if self.grpo_norm_adv:
            advantages = advantages / ((advantages if active is None else advantages[active]).std() + 1e-8)
        experience["grpo", "advantages"] = advantages

    def loss_terms(self, minibatch: TensorDictBase, output: TensorDictBase) -> dict[str, torch.Tensor]:
        terms = super().loss_terms(minibatch, output)
        active = self.active_steps(minibatch)
        policy, ratio = F.clipped_surrogate(
            output["action_log_prob"],
            minibatch["action_log_prob"],
            minibatch["grpo", "advantages"],
            self.grpo_clip_coef,
            active,
        )
        entropy = F.masked_mean(output["entropy"], active)
        self.record_metric("grpo", "policy", policy)
        self.record_metric("grpo", "entropy", entropy)
        clipfrac = F.masked_mean(((ratio - 1.0).abs() > self.grpo_clip_coef).float(), active)
        self.record_metric("grpo", "clipfrac", clipfrac)
        terms["grpo/policy"] = policy
        terms["grpo/entropy"] = -self.grpo_ent_coef * entropy
        # The value head stays in the graph with weight 0: under DDP every parameter must get
        # a gradient each step (here exactly 0, so GRPO never trains the critic).
        terms["grpo/no_critic"] = 0.0 * output["state_value"].sum()
        return terms
