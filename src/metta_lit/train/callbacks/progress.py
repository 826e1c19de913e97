"""A progress bar over agent steps (Lightning's default counts batches, one per epoch here)."""

from __future__ import annotations

import contextlib
import logging
import math
from typing import Any

import lightning as L
from lightning.pytorch.callbacks.progress import ProgressBar
from tqdm.auto import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm


class AgentStepProgressBar(ProgressBar):
    """Shows agent steps against the run's budget with SPS, and the reward and hearts per
    agent-episode over the last updates' episodes (the module's ``progress_window``).

    The budget shown is ``total_timesteps`` rounded up to whole updates, which is where a run
    stops, so the bar ends at 100% instead of overshooting. While it is drawn, the run's log
    lines (checkpoints, evaluations) go through tqdm, so each prints on its own line above it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._enabled = True
        self._bar: tqdm | None = None
        self._redirect = contextlib.ExitStack()

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._enabled and trainer.is_global_zero:
            per_update = pl_module.batch_size * trainer.world_size
            left = max(0, pl_module.hparams.total_timesteps - pl_module.agent_steps)
            self._bar = tqdm(
                total=pl_module.agent_steps + math.ceil(left / per_update) * per_update,
                initial=pl_module.agent_steps,
                unit="step",
                unit_scale=True,
                desc="agent steps",
                dynamic_ncols=True,
                smoothing=0.1,
            )
            # Lightning's info lines (rank_zero_info) are written by the "lightning.pytorch" logger.
            self._redirect.enter_context(logging_redirect_tqdm(loggers=[logging.getLogger("lightning.pytorch")]))

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any) -> None:
        if self._bar is None:
            return
        metrics = trainer.progress_bar_metrics  # what the module logged with prog_bar=True
        self._bar.update(pl_module.agent_steps - self._bar.n)
        postfix = {"sps": f"{metrics.get('overview/sps', 0):,.0f}", "epoch": trainer.current_epoch + 1}
        recent = pl_module.progress_window.means()
        if "episode/reward" in recent:
            postfix["reward"] = f"{recent['episode/reward']:.3f}"
        if "env_agent/heart.gained" in recent:
            postfix["hearts"] = f"{recent['env_agent/heart.gained']:.2f}"
        self._bar.set_postfix(postfix, refresh=False)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._close()

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException) -> None:
        self._close()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._redirect.close()  # log lines go to stderr again

    def print(self, *args: Any, **kwargs: Any) -> None:
        (self._bar.write if self._bar is not None else print)(" ".join(map(str, args)))
