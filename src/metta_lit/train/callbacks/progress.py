"""A progress bar over agent steps (Lightning's default counts batches, one per epoch here)."""

from __future__ import annotations

from typing import Any

import lightning as L
from lightning.pytorch.callbacks.progress import ProgressBar
from tqdm.auto import tqdm


class AgentStepProgressBar(ProgressBar):
    """Shows agent steps against ``total_timesteps`` with SPS and mean episode reward."""

    def __init__(self) -> None:
        super().__init__()
        self._enabled = True
        self._bar: tqdm | None = None
        self._reward: float | None = None

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._enabled and trainer.is_global_zero:
            self._bar = tqdm(
                total=pl_module.hparams.total_timesteps,
                initial=pl_module.agent_steps,
                unit="step",
                unit_scale=True,
                desc="agent steps",
                dynamic_ncols=True,
                smoothing=0.1,
            )

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any) -> None:
        if self._bar is None:
            return
        metrics = trainer.progress_bar_metrics  # what the module logged with prog_bar=True
        self._bar.update(pl_module.agent_steps - self._bar.n)
        self._reward = metrics.get("episode/reward", self._reward)
        postfix = {"sps": f"{metrics.get('overview/sps', 0):,.0f}", "epoch": trainer.current_epoch + 1}
        if self._reward is not None:
            postfix["reward"] = f"{self._reward:.3f}"
        if "env_agent/heart.gained" in metrics:
            postfix["hearts"] = f"{metrics['env_agent/heart.gained']:.2f}"
        self._bar.set_postfix(postfix, refresh=False)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def print(self, *args: Any, **kwargs: Any) -> None:
        (self._bar.write if self._bar is not None else print)(" ".join(map(str, args)))
