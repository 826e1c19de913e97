"""Lightning callback that writes versioned policy files and the resumable training state."""

from __future__ import annotations

from typing import Any

import lightning as L
from lightning.pytorch.utilities import rank_zero_info

from metta_lit.checkpoints.manager import CheckpointManager
from metta_lit.checkpoints.uri import default_run_name


class PolicyCheckpoint(L.Callback):
    """Every ``checkpoint_interval`` epochs (and when training stops): ``<run>:v<epoch>.mpt``
    plus Lightning's full checkpoint ``last.ckpt`` in ``<data_dir>/<run>/checkpoints``.

    Epochs count completed updates, so ``:v30`` is the policy after 30 rollouts+updates.
    The URIs written so far are kept in :attr:`policy_uris` (and in the callback state).
    """

    def __init__(
        self,
        run: str | None = None,
        data_dir: str = "./train_dir",
        checkpoint_interval: int = 30,
        remote_prefix: str | None = None,
    ) -> None:
        if checkpoint_interval < 1:
            raise ValueError("checkpoint_interval must be >= 1")
        self.manager = CheckpointManager(run or default_run_name(), data_dir, remote_prefix)
        self.checkpoint_interval = checkpoint_interval
        self.policy_uris: list[str] = []
        self._saved_epoch = -1

    @property
    def run(self) -> str:
        return self.manager.run

    def _save(self, trainer: L.Trainer, module: L.LightningModule, version: int) -> None:
        self._saved_epoch = version
        if trainer.is_global_zero:
            uris = self.manager.save_policy(module.policy, version, {"agent_steps": int(module.agent_steps)})
            self.policy_uris.extend(uris)
            rank_zero_info(f"[metta-lit] saved policy {' and '.join(uris)}")
        # Collective on every rank; Lightning writes it from rank 0 through a temp file + move.
        trainer.save_checkpoint(self.manager.trainer_state_path, weights_only=False)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        version = trainer.current_epoch + 1
        if version % self.checkpoint_interval == 0 or trainer.should_stop:
            self._save(trainer, pl_module, version)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Training that ended another way (e.g. trainer.max_epochs) still leaves its final policy.
        if trainer.current_epoch > self._saved_epoch:
            self._save(trainer, pl_module, trainer.current_epoch)
        if self.policy_uris:
            rank_zero_info(f"[metta-lit] checkpoints in {self.manager.checkpoint_dir}; latest policy: {self.policy_uris[-1]}")

    def state_dict(self) -> dict[str, Any]:
        return {"policy_uris": list(self.policy_uris), "run": self.run}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.policy_uris = list(state_dict.get("policy_uris", []))
