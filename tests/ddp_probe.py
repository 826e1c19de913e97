"""A callback the distributed tests add with ``--trainer.callbacks``: each global rank writes
``rank<N>.json`` with a digest of its parameters at the end, the agent steps the run started
from, and the agent steps this rank collected itself."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import lightning as L
import torch


class RankProbe(L.Callback):
    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir
        self.start_agent_steps = 0
        self.collected = 0

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.start_agent_steps = int(pl_module.agent_steps)

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, *_: Any
    ) -> None:
        self.collected += int(batch.numel())  # the rollout: [envs, agents, horizon] agent steps

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        flat = torch.cat([p.detach().flatten().float().cpu() for p in pl_module.parameters()])
        report = {
            "global_rank": trainer.global_rank,
            "node_rank": trainer.node_rank,
            "local_rank": trainer.local_rank,
            "world_size": trainer.world_size,
            "start_agent_steps": self.start_agent_steps,
            "agent_steps": int(pl_module.agent_steps),
            "collected": self.collected,
            "digest": hashlib.sha256(flat.numpy().tobytes()).hexdigest(),
        }
        os.makedirs(self.out_dir, exist_ok=True)
        with open(os.path.join(self.out_dir, f"rank{trainer.global_rank}.json"), "w") as f:
            json.dump(report, f)
