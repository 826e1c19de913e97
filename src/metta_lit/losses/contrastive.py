"""Contrastive (InfoNCE) as a loss mixin: an agent's embedding should predict its own future."""

from __future__ import annotations

from typing import Any

import torch
from tensordict import TensorDictBase
from torch import nn

from metta_lit.losses import functional as F
from metta_lit.losses.base import LossMixin


def geometric_offsets(rows: int, steps: int, discount: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """For anchors at every step of ``rows`` rows, offsets ``k >= 1`` drawn from
    Geometric(1 - discount) (mean ``1 / (1 - discount)``), capped so ``t + k`` stays in the row;
    the last step, which has no later step, gets 0 (the caller drops it)."""
    uniform = torch.rand(rows, steps, generator=generator)
    k = 1 + torch.floor(torch.log1p(-uniform) / torch.log(torch.tensor(discount))).long()
    room = torch.arange(steps - 1, -1, -1).expand(rows, steps)  # steps left after t
    return torch.minimum(k, room)


class ContrastiveLoss(LossMixin):
    """InfoNCE on a learned projection of the policy's ``embedding``: the anchor is one step
    of an agent's row, its positive a later step of the same row at a geometric offset
    (``discount``), and the negatives the positives of every other anchor in the minibatch.
    Logs the loss and the mean positive / negative cosine similarity.
    """

    def __init__(
        self,
        *,
        contrastive_coef: float = 0.1,
        temperature: float = 0.1,
        discount: float = 0.9,
        projection_size: int = 64,
        anchors_per_row: int = 4,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not 0.0 < discount < 1.0:
            raise ValueError(f"model.discount: must be in (0, 1), got {discount}")
        if temperature <= 0:
            raise ValueError(f"model.temperature: must be > 0, got {temperature}")
        self.contrastive_coef, self.temperature, self.discount = contrastive_coef, temperature, discount
        self.anchors_per_row = anchors_per_row
        self.projection = nn.Linear(self.policy_output_size("embedding", "ContrastiveLoss"), projection_size)

    def loss_terms(self, minibatch: TensorDictBase, output: TensorDictBase) -> dict[str, torch.Tensor]:
        terms = super().loss_terms(minibatch, output)
        embedding = output["embedding"]
        rows, steps = embedding.shape[:2]
        if steps < 2:
            return terms
        # A few anchors per row (not the last step, which has no future in the row).
        t = torch.randint(0, steps - 1, (rows, self.anchors_per_row), device=embedding.device)
        offsets = geometric_offsets(rows, steps, self.discount).to(embedding.device).gather(1, t)
        row = torch.arange(rows, device=embedding.device).unsqueeze(1).expand_as(t)
        anchors, positives = embedding[row, t].reshape(-1, embedding.shape[-1]), embedding[row, t + offsets]
        positives = positives.reshape(-1, embedding.shape[-1])
        active = self.active_steps(minibatch)
        if active is not None:  # pairs whose both steps an agent played
            played = (active[row, t] & active[row, t + offsets]).reshape(-1)
            if not played.any():
                return terms
            anchors, positives = anchors[played], positives[played]
        anchors, positives = self.projection(anchors), self.projection(positives)
        loss, positive, negative = F.info_nce(anchors, positives, self.temperature)
        self.record_metric("contrastive", "loss", loss)
        self.record_metric("contrastive", "positive_similarity", positive)
        self.record_metric("contrastive", "negative_similarity", negative)
        terms["contrastive/info_nce"] = self.contrastive_coef * loss
        return terms
