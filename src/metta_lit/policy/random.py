"""A uniformly random policy: the baseline every evaluation compares against.

It has no weights; wherever a policy URI is accepted, ``random`` builds one for the env.
"""

from __future__ import annotations

from typing import Any

import torch
from tensordict import TensorDictBase

from metta_lit.policy.base import Policy


class RandomPolicy(Policy):
    """Equal logits for every action and a zero value, for any env it is initialized to."""

    def __init__(self, feature_spec: dict[str, dict[str, Any]], action_names: list[str]) -> None:
        super().__init__(feature_spec, action_names)
        self.in_keys = ["observation"]
        self.out_keys = ["logits", "state_value"]

    def forward(self, td: TensorDictBase) -> TensorDictBase:
        lead = td["observation"].shape[:-2]
        device = td["observation"].device
        td["logits"] = torch.zeros((*lead, self.num_actions), device=device)
        td["state_value"] = torch.zeros((*lead, 1), device=device)
        return td

    def initialize_to_environment(self, feature_spec: dict[str, dict[str, Any]], action_names: list[str]) -> None:
        # Random over whatever the env offers: adopt its catalog instead of narrowing to it.
        self.feature_spec = {name: dict(info) for name, info in feature_spec.items()}
        self.action_names = list(action_names)
        self.env_action_index = None
