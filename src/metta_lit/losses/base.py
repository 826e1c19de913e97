"""The loss-mixin chain.

Each loss is a mixin placed to the left of :class:`~metta_lit.module.MettaLitModule` in a
class definition (``class PPOModule(PPOLoss, MettaLitModule)``). Every hook calls ``super()``
so all mixins take part; :class:`LossMixin` is the end of the chain. A mixin takes its
hyperparameters as keyword-only ``__init__`` arguments, which LightningCLI exposes under
``model.init_args``.
"""

from __future__ import annotations

from typing import Any

import torch
from tensordict import TensorDictBase


class LossMixin:
    """Terminal link of the loss chain: no terms, no preparation."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    def prepare_experience(self, experience: TensorDictBase) -> None:
        """Called once per rollout, before any minibatch (e.g. to compute advantages)."""

    def loss_terms(self, minibatch: TensorDictBase, output: TensorDictBase) -> dict[str, torch.Tensor]:
        """Weighted loss terms for one minibatch; the module sums them and steps once.

        ``minibatch`` holds rows of experience ``[rows, T]``; ``output`` the policy's fresh
        forward over them (``logits``, ``state_value``, ``log_prob``, ``entropy``).
        """
        return {}

    def after_minibatch(self, experience: TensorDictBase, index: torch.Tensor, output: TensorDictBase) -> None:
        """Called after each optimizer step with the rows that were used."""

    def sum_over_ranks(self, tensor: torch.Tensor) -> torch.Tensor:
        """``tensor`` summed over DDP ranks through the Lightning strategy of the module's
        trainer; unchanged for a single process or a loss used on its own (no trainer)."""
        try:
            trainer = self.trainer
        except (AttributeError, RuntimeError):  # not a LightningModule, or not attached to a Trainer
            return tensor
        return trainer.strategy.reduce(tensor, reduce_op="sum") if trainer.world_size > 1 else tensor

    def loss_metrics(self) -> dict[str, float]:
        """Diagnostics accumulated over the last update, logged once per epoch."""
        return {}
