"""A teacher policy acting alongside the student in rollouts, with its own memory.

Losses that learn from a teacher (kickstarting, action supervision) add a :class:`Teacher`
to the rollout (``LossMixin.rollout_modules``). After the student's actor has chosen, the
teacher sees the same observations and writes its view under its namespace (``"teacher"``
for kickstarting, ``"supervisor"`` for action supervision, so both can run at once): ``logits``
(narrowed to the env's actions), ``state_value`` and the ``action`` it would take, carrying
its recurrent memory under ``(<namespace>, <key>)``. With ``lead_proportion > 0`` it also
executes its own action for that share of agent steps (the student's ``action_log_prob`` is
then of the action actually taken, so the policy-gradient ratio stays exact).
"""

from __future__ import annotations

import torch
from tensordict import TensorDict, TensorDictBase
from tensordict.nn import TensorDictModuleBase
from torchrl.data import Composite, Unbounded
from torchrl.envs import TensorDictPrimer, Transform

from metta_lit.policy import Policy

NAMESPACE = "teacher"


class Teacher(TensorDictModuleBase):
    """``policy`` acting alongside the student; its outputs and memory under ``namespace``."""

    def __init__(self, policy: Policy, lead_proportion: float = 0.0, namespace: str = NAMESPACE) -> None:
        super().__init__()
        if not 0.0 <= lead_proportion <= 1.0:
            raise ValueError(f"teacher_led_proportion: must be in [0, 1], got {lead_proportion}")
        self.policy = policy
        self.lead_proportion = lead_proportion
        self.namespace = namespace
        memory = list(policy.memory_shapes())
        self.in_keys = ["observation", "is_init", "logits", *((namespace, k) for k in memory)]
        self.out_keys = [
            (namespace, "logits"),
            (namespace, "state_value"),
            (namespace, "action"),
            *(("next", namespace, k) for k in memory),
        ]

    def memory_transform(self, batch_size: torch.Size) -> Transform | None:
        """Zeroed teacher memory under ``(namespace, key)`` at every episode start."""
        shapes = self.policy.memory_shapes()
        if not shapes:
            return None
        specs = Composite({k: Unbounded(shape=(*batch_size, *s)) for k, s in shapes.items()}, shape=batch_size)
        return TensorDictPrimer(Composite({self.namespace: specs}, shape=batch_size))

    @torch.no_grad()
    def forward(self, td: TensorDictBase) -> TensorDictBase:
        memory = list(self.policy.memory_shapes())
        sub = TensorDict(
            {
                "observation": td["observation"],
                "is_init": td["is_init"],
                **{k: td[self.namespace, k] for k in memory},
            },
            batch_size=td.batch_size,
            device=td.device,
        )
        out = self.policy(sub)
        logits = self.policy.env_logits(out["logits"])
        action = torch.distributions.Categorical(logits=logits).sample()
        ns = self.namespace
        td[ns, "logits"] = logits
        td[ns, "state_value"] = out["state_value"]
        td[ns, "action"] = action
        for k in memory:
            td["next", ns, k] = out["next", k]
        if self.lead_proportion > 0:
            led = torch.rand(action.shape, device=action.device) < self.lead_proportion
            td["action"] = torch.where(led, action, td["action"])
            student = torch.log_softmax(td["logits"], -1)
            td["action_log_prob"] = student.gather(-1, td["action"].unsqueeze(-1)).squeeze(-1)
        return td
