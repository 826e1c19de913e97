"""Kickstarting as a loss mixin: a teacher policy (by URI) guides the student, fading out."""

from __future__ import annotations

from typing import Any

import torch
from tensordict import TensorDictBase

from metta_lit.checkpoints.manager import CheckpointManager
from metta_lit.core.errors import ConfigError
from metta_lit.losses import functional as F
from metta_lit.losses.base import LossMixin
from metta_lit.rl.teacher import NAMESPACE, Teacher


class KickstarterLoss(LossMixin):
    """The teacher acts alongside the student during rollouts (its own memory; the student's
    actions are the ones executed) and the student is pulled towards it:
    ``coef * (KL(student || teacher) at kickstart_temperature + kickstart_value_coef * value MSE)``,
    with ``coef`` annealed linearly from ``kickstart_coef`` to 0 over ``kickstart_anneal_steps``
    agent steps. The teacher is frozen (no gradients) and adapted to the env by name.
    """

    def __init__(
        self,
        *,
        teacher_uri: str | None = None,
        kickstart_coef: float = 1.0,
        kickstart_value_coef: float = 1.0,
        kickstart_temperature: float = 1.0,
        kickstart_anneal_steps: int = 1_000_000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if teacher_uri is None:
            raise ConfigError(f"{type(self).__name__}: kickstarting needs a teacher: set model.init_args.teacher_uri")
        if kickstart_temperature <= 0:
            raise ConfigError(f"model.kickstart_temperature: must be > 0, got {kickstart_temperature}")
        self.teacher_uri = teacher_uri
        self.kickstart_coef, self.kickstart_value_coef = kickstart_coef, kickstart_value_coef
        self.kickstart_temperature, self.kickstart_anneal_steps = kickstart_temperature, kickstart_anneal_steps
        teacher, _ = CheckpointManager.load_for_env(teacher_uri, self.feature_spec, self.action_names)
        self.kickstart_teacher = teacher.eval().requires_grad_(False)
        self._teacher: Teacher | None = None

    def rollout_modules(self) -> list[Teacher]:
        if self._teacher is None:
            self._teacher = Teacher(self.kickstart_teacher)
        return [*super().rollout_modules(), self._teacher]

    def experience_keys(self) -> set:
        return super().experience_keys() | {(NAMESPACE, "logits"), (NAMESPACE, "state_value")}

    def kickstart_weight(self) -> float:
        """The coefficient now: ``kickstart_coef`` fading linearly to 0 over the anneal steps."""
        return self.kickstart_coef * max(0.0, 1.0 - self.agent_steps / max(1, self.kickstart_anneal_steps))

    def kickstart_rows(self, minibatch: TensorDictBase) -> torch.Tensor | None:
        """Which rows of the minibatch the loss applies to (None: all)."""
        return None

    def loss_terms(self, minibatch: TensorDictBase, output: TensorDictBase) -> dict[str, torch.Tensor]:
        terms = super().loss_terms(minibatch, output)
        weight = self.kickstart_weight()
        self.record_metric("kickstarter", "coef", weight)
        if weight <= 0:
            return terms
        rows, active = self.kickstart_rows(minibatch), self.active_steps(minibatch)
        if active is not None:  # only the steps an agent played
            rows = active if rows is None else rows & active
        student_logits, student_value = output["logits"], output["state_value"]
        teacher_logits, teacher_value = minibatch[NAMESPACE, "logits"], minibatch[NAMESPACE, "state_value"]
        if rows is not None:
            if not rows.any():
                return terms
            student_logits, student_value = student_logits[rows], student_value[rows]
            teacher_logits, teacher_value = teacher_logits[rows], teacher_value[rows]
        kl, value = F.kickstart_terms(
            student_logits, teacher_logits, student_value, teacher_value, self.kickstart_temperature
        )
        self.record_metric("kickstarter", "kl", kl)
        self.record_metric("kickstarter", "value_mse", value)
        terms["kickstarter/kl"] = weight * kl
        terms["kickstarter/value"] = weight * self.kickstart_value_coef * value
        return terms


class SlicedKickstarterLoss(KickstarterLoss):
    """Kickstarting applied to a slice of the agents of each env only: agents
    ``kickstart_agent_start`` .. ``+ kickstart_agent_count`` (all the rest when None). The
    teacher still acts alongside every agent; the other agents learn from their own loss only.
    """

    def __init__(self, *, kickstart_agent_start: int = 0, kickstart_agent_count: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        end = self.num_agents if kickstart_agent_count is None else kickstart_agent_start + kickstart_agent_count
        if not 0 <= kickstart_agent_start < end <= self.num_agents:
            raise ConfigError(
                f"model.kickstart_agent_start/count: the slice [{kickstart_agent_start}, {end}) is not within "
                f"the env's {self.num_agents} agents"
            )
        self.kickstart_agents = (kickstart_agent_start, end)

    def prepare_experience(self, experience: TensorDictBase) -> None:
        super().prepare_experience(experience)
        # Rows are [envs * agents] in env-major order: a row's agent is its index modulo agents.
        agent = torch.arange(experience.shape[0], device=experience.device) % self.num_agents
        start, end = self.kickstart_agents
        sliced = (agent >= start) & (agent < end)
        experience["kickstarter", "sliced"] = sliced.unsqueeze(1).expand(experience.shape)

    def kickstart_rows(self, minibatch: TensorDictBase) -> torch.Tensor:
        return minibatch["kickstarter", "sliced"]
