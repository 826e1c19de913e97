"""Run by ``test_ddp_losses.py`` as ``python tests/ddp_advantages.py OUT_DIR``: two gloo ranks
(Lightning's DDP strategy) whose advantages come from different distributions normalize them
through :meth:`PPOLoss.global_mean_std`; each rank writes what it used to ``rank<N>.json``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import lightning as L
import torch

from metta_lit.losses import functional as F
from metta_lit.losses.ppo import PPOLoss


def advantages(rank: int) -> torch.Tensor:
    """Rank 0: 300 draws of N(0, 1); rank 1: 100 of N(4, 3) (other sizes, means and spreads)."""
    generator = torch.Generator().manual_seed(rank)
    size, mean, std = ((300, 0.0, 1.0), (100, 4.0, 3.0))[rank]
    return mean + std * torch.randn(size, generator=generator)


class Probe(PPOLoss, L.LightningModule):
    def __init__(self, out_dir: str) -> None:
        super().__init__()
        self.out_dir = out_dir
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        adv = advantages(self.global_rank)
        mean, std = self.global_mean_std(adv)
        normalized = F.normalize(adv, mean, std)
        report = {"mean": float(mean), "std": float(std), "normalized_sum": float(normalized.sum())}
        Path(self.out_dir, f"rank{self.global_rank}.json").write_text(json.dumps(report))
        return (self.weight * 0).sum()

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.0)

    def train_dataloader(self) -> torch.utils.data.DataLoader:
        return torch.utils.data.DataLoader([torch.zeros(1)], batch_size=None)


if __name__ == "__main__":
    trainer = L.Trainer(
        accelerator="cpu", devices=2, strategy="ddp", max_steps=1, logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
    )  # fmt: skip
    trainer.fit(Probe(sys.argv[1]))
