"""Lightning callback that writes versioned policy files and the resumable training state."""

from __future__ import annotations

import shlex
import signal
import sys
import threading
from types import FrameType
from typing import Any

import fsspec
import lightning as L
from lightning.pytorch.callbacks import Checkpoint
from lightning.pytorch.utilities import rank_zero_info
from lightning.pytorch.utilities.exceptions import SIGTERMException

from metta_lit.checkpoints.manager import CheckpointManager
from metta_lit.core.errors import ConfigError, check_positive_int
from metta_lit.core.files import normalize_uri
from metta_lit.train.loggers import RunCSVLogger


def stop_signals() -> list[signal.Signals]:
    """Signals that stop training gracefully: Ctrl-C, and SIGUSR1 (what SLURM's ``--signal``
    sends before preemption) unless something (Lightning's SLURM requeue) already handles it.
    SIGTERM is Lightning's own: it raises ``SIGTERMException`` at the end of an update."""
    wanted = [signal.SIGINT]
    if hasattr(signal, "SIGUSR1") and signal.getsignal(signal.SIGUSR1) in (signal.SIG_DFL, None):
        wanted.append(signal.SIGUSR1)
    return wanted


def resume_command(run: str, data_dir: str) -> str:
    """The command line that resumes this run: the one that started it, when it came from
    ``metta-lit fit`` or ``metta-lit run``, with the run name pinned and the last state named."""
    args = sys.argv[1:]
    if args[:1] == ["run"]:  # key=value overrides: later keys win
        kept = [a for a in args if not a.startswith(("run=", "ckpt_path="))]
        return shlex.join(["metta-lit", *kept, f"run={run}", "ckpt_path=last"])
    if args[:1] != ["fit"]:
        return f"metta-lit fit --config CONFIG --checkpoint.run {run} --checkpoint.data_dir {data_dir} --ckpt_path last"
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in ("--ckpt_path", "--checkpoint.run"):
            skip = True
            continue
        if arg.startswith(("--ckpt_path=", "--checkpoint.run=")):
            continue
        kept.append(arg)
    return shlex.join(["metta-lit", *kept, "--checkpoint.run", run, "--ckpt_path", "last"])


class PolicyCheckpoint(Checkpoint):
    """Every ``checkpoint_interval`` epochs (and when training stops): ``<run>:v<epoch>.mpt``
    plus Lightning's full checkpoint ``last.ckpt`` in ``<data_dir>/<run>/checkpoints``;
    ``data_dir`` defaults to ``$METTA_LIT_DATA_DIR``, else ``./train_dir``.

    Epochs count completed updates, so ``:v30`` is the policy after 30 rollouts+updates.
    The URIs written so far are kept in :attr:`policy_uris` (and in the callback state).

    Retention: after each save only the newest ``keep_last`` policy files stay, plus every
    ``keep_every``-th version when set (a run with ``checkpoint_interval 1`` once wrote 2,234
    files, 9.2 GB, in 18 minutes). ``.tmp-*`` files of saves killed mid-write are removed when
    training starts.

    Stopping saves too: Ctrl-C (SIGINT) or SIGUSR1 finish the current update, then save and
    stop (a second Ctrl-C aborts at once, keeping the last saved state); SIGTERM saves at the
    end of the update Lightning stops in. Each prints the command that resumes the run.
    """

    def __init__(
        self,
        run: str | None = None,
        data_dir: str | None = None,
        checkpoint_interval: int = 30,
        remote_prefix: str | None = None,
        keep_last: int | None = 10,
        keep_every: int | None = None,
    ) -> None:
        """``keep_last``: policy files kept (the newest; None keeps all). ``keep_every``: also
        keep each version divisible by this many updates (None: no such rule)."""
        if checkpoint_interval < 1:
            raise ConfigError(f"checkpoint.checkpoint_interval: must be >= 1, got {checkpoint_interval}")
        for name, value in (("keep_last", keep_last), ("keep_every", keep_every)):
            if value is not None:  # null: no such rule
                check_positive_int(value, f"checkpoint.{name}")
        self.keep_last, self.keep_every = keep_last, keep_every
        self.manager = CheckpointManager.for_run(run, data_dir, remote_prefix)
        self.checkpoint_interval = checkpoint_interval
        self.policy_uris: list[str] = []
        self._saved_epoch = -1
        self._updates_done = 0
        self._stop_signal: str | None = None
        self._previous_handlers: dict[signal.Signals, Any] = {}

    @property
    def run(self) -> str:
        return self.manager.run

    def _save(self, trainer: L.Trainer, module: L.LightningModule, version: int) -> None:
        self._saved_epoch = version
        if trainer.is_global_zero:
            uris = self.manager.save_policy(module.policy, version, {"agent_steps": int(module.agent_steps)})
            self.policy_uris.extend(uris)
            rank_zero_info(f"[metta-lit] saved policy {' and '.join(uris)}")
            removed = {f":v{v}.mpt" for v in self.manager.prune(self.keep_last, self.keep_every)}
            local = normalize_uri(self.manager.checkpoint_dir)
            self.policy_uris = [u for u in self.policy_uris if not (u.startswith(local) and u.endswith(tuple(removed)))]
        # Collective on every rank; SafeCheckpointIO writes it from rank 0 (temp file + rename).
        trainer.save_checkpoint(self.manager.trainer_state_path, weights_only=False)

    # --- stopping on signals ----------------------------------------------------------------
    def _request_stop(self, signum: int, frame: FrameType | None) -> None:
        if self._stop_signal is not None:
            raise KeyboardInterrupt  # asked twice: abort now, without saving
        self._stop_signal = signal.Signals(signum).name
        rank_zero_info(
            f"\n[metta-lit] {self._stop_signal}: stopping after this update and saving "
            "(Ctrl-C again aborts without saving)"
        )

    def _restore_handlers(self) -> None:
        for sig, handler in self._previous_handlers.items():
            signal.signal(sig, handler)
        self._previous_handlers = {}

    def _print_resume(self) -> None:
        rank_zero_info(f"[metta-lit] resume with: {resume_command(self.run, self.manager.data_dir)}")

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._stop_signal = None
        if trainer.is_global_zero and (partial := self.manager.remove_partial_files()):
            rank_zero_info(f"[metta-lit] removed {len(partial)} partial file(s) of killed saves")
        if trainer.is_global_zero:  # a resume re-runs the updates after its checkpoint: log them once
            for logger in trainer.loggers:
                if isinstance(logger, RunCSVLogger) and (cut := logger.cut_after(int(pl_module.agent_steps))):
                    rank_zero_info(f"[metta-lit] metrics history: {cut} rows past the checkpoint removed")
        if threading.current_thread() is threading.main_thread():
            self._previous_handlers = {sig: signal.signal(sig, self._request_stop) for sig in stop_signals()}

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any) -> None:
        self._updates_done = trainer.current_epoch + 1  # one rollout + update per epoch
        # A signal may reach one rank only (kill -INT PID); any rank asking stops them all.
        if trainer.strategy.reduce_boolean_decision(self._stop_signal is not None, all=False):
            trainer.should_stop = True

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        version = trainer.current_epoch + 1
        if version % self.checkpoint_interval == 0 or trainer.should_stop:
            self._save(trainer, pl_module, version)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._restore_handlers()
        # Training that ended another way (e.g. trainer.max_epochs) still leaves its final policy.
        if trainer.current_epoch > self._saved_epoch:
            self._save(trainer, pl_module, trainer.current_epoch)
        if self.policy_uris:
            rank_zero_info(
                f"[metta-lit] checkpoints in {self.manager.checkpoint_dir}; latest policy: {self.policy_uris[-1]}"
            )
        if self._stop_signal is not None:
            self._print_resume()

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException) -> None:
        self._restore_handlers()
        if isinstance(exception, SIGTERMException):
            # Lightning raises it between updates, so the state is consistent: keep it.
            if self._updates_done > self._saved_epoch:
                self._save(trainer, pl_module, self._updates_done)
            rank_zero_info(f"[metta-lit] SIGTERM: saved the training state in {self.manager.trainer_state_path}")
            self._print_resume()
        elif isinstance(exception, KeyboardInterrupt):
            state = self.manager.trainer_state_path
            fs, path = fsspec.core.url_to_fs(state)
            if fs.exists(path):
                rank_zero_info(f"[metta-lit] aborted; the last saved state is in {state}")
                self._print_resume()
            else:
                rank_zero_info("[metta-lit] aborted before any state was saved: nothing to resume")

    def state_dict(self) -> dict[str, Any]:
        return {"policy_uris": list(self.policy_uris), "run": self.run}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.policy_uris = list(state_dict.get("policy_uris", []))
