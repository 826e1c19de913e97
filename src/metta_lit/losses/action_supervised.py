"""Action supervision as a loss mixin: imitate a teacher's actions (scripted or a policy)."""

from __future__ import annotations

from typing import Any

import torch
from tensordict import TensorDictBase

from metta_lit.checkpoints.manager import CheckpointManager
from metta_lit.losses import functional as F
from metta_lit.losses.base import LossMixin
from metta_lit.policy.scripted import ScriptedPolicy
from metta_lit.rl.teacher import Teacher

SUPERVISOR = "supervisor"  # where the teacher writes in the rollout


class ActionSupervisedLoss(LossMixin):
    """Negative log-likelihood, under the student, of the actions a teacher takes on the same
    observations: ``supervisor_uri: scripted`` (the heuristic agent of the arena and
    navigation, :class:`~metta_lit.policy.scripted.ScriptedPolicy`) or a policy URI. With
    ``teacher_led_proportion`` > 0 that share of agent steps executes the teacher's action
    instead of the student's. Logs the NLL and how often the student's most likely action is
    the teacher's.
    """

    def __init__(
        self,
        *,
        supervisor_uri: str = "scripted",
        supervised_coef: float = 1.0,
        teacher_led_proportion: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if supervisor_uri == "scripted":
            teacher = ScriptedPolicy.for_env(
                self.env_config, self.feature_spec, self.action_names, seed=self.hparams.seed
            )
        else:
            teacher, _ = CheckpointManager.load_for_env(supervisor_uri, self.feature_spec, self.action_names)
        self.supervisor = teacher.eval().requires_grad_(False)
        self.supervised_coef = supervised_coef
        self._supervisor = Teacher(self.supervisor, teacher_led_proportion, namespace=SUPERVISOR)

    def rollout_modules(self) -> list[Teacher]:
        return [*super().rollout_modules(), self._supervisor]

    def experience_keys(self) -> set:
        return super().experience_keys() | {(SUPERVISOR, "action")}

    def loss_terms(self, minibatch: TensorDictBase, output: TensorDictBase) -> dict[str, torch.Tensor]:
        terms = super().loss_terms(minibatch, output)
        target = minibatch[SUPERVISOR, "action"]
        log_probs = torch.log_softmax(output["logits"], -1)
        active = self.active_steps(minibatch)
        nll = F.masked_mean(-log_probs.gather(-1, target.unsqueeze(-1)).squeeze(-1), active)
        self.record_metric("action_supervised", "nll", nll)
        agreement = F.masked_mean((log_probs.argmax(-1) == target).float(), active)
        self.record_metric("action_supervised", "agreement", agreement)
        terms["action_supervised/nll"] = self.supervised_coef * nll
        return terms
