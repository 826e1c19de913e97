"""The LightningCLI behind ``metta-lit fit`` and ``metta-lit validate``.

    metta-lit fit --config configs/arena.yaml [--model.init_args.total_timesteps 5e6] [--checkpoint.run NAME]
    metta-lit fit --config configs/arena.yaml --ckpt_path last          # resume the run
    metta-lit validate --config configs/arena.yaml --ckpt_path train_dir/NAME/checkpoints/NAME:latest

Configs are YAML (``--config``, OmegaConf interpolation resolved after command-line
overrides); ``--print_config`` shows the merged result. Multi-GPU / multi-node is Lightning's
``--trainer.accelerator gpu --trainer.devices N --trainer.strategy ddp --trainer.num_nodes M``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import lightning as L
from lightning.fabric.plugins import CheckpointIO
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_info

from metta_lit.callbacks.progress import AgentStepProgressBar
from metta_lit.checkpoints import PolicyCheckpoint
from metta_lit.checkpoints.lightning_io import CheckpointError, SafeCheckpointIO, load_training_state
from metta_lit.cli_errors import summarize
from metta_lit.loggers import RunCSVLogger
from metta_lit.module import MettaLitModule
from metta_lit.sim.evaluator import PolicyEvaluator


def is_lightning_checkpoint(path: str | Path | None) -> bool:
    return path is not None and str(path).endswith(".ckpt")


class MettaLitTrainer(L.Trainer):
    """A Trainer whose ``fit`` resumes runs and whose ``validate`` takes policy URIs; its
    training state is written atomically and read without unpickling code (SafeCheckpointIO)."""

    def __init__(self, *args: Any, plugins: Any = None, **kwargs: Any) -> None:
        plugins = list(plugins) if isinstance(plugins, (list, tuple)) else ([plugins] if plugins is not None else [])
        if not any(isinstance(p, CheckpointIO) for p in plugins):
            plugins.append(SafeCheckpointIO())
        super().__init__(*args, plugins=plugins, **kwargs)

    def _policy_checkpoint(self) -> PolicyCheckpoint | None:
        return next((cb for cb in self.callbacks if isinstance(cb, PolicyCheckpoint)), None)

    def fit(
        self,
        model: L.LightningModule,
        train_dataloaders: Any = None,
        val_dataloaders: Any = None,
        datamodule: L.LightningDataModule | None = None,
        ckpt_path: str | Path | None = None,
        weights_only: bool | None = None,
    ) -> None:
        """Train. ``ckpt_path=last`` (or re-running an existing run name) resumes its last state."""
        checkpoint = self._policy_checkpoint()
        if checkpoint is not None:
            state = checkpoint.manager.trainer_state_path
            if ckpt_path == "last" or (ckpt_path is None and os.path.exists(state)):
                if not os.path.exists(state):
                    raise CheckpointError(f"--ckpt_path last: no training state at {state} to resume from")
                ckpt_path = state
                rank_zero_info(f"[metta-lit] resuming run {checkpoint.run!r} from {state}")
            rank_zero_info(f"[metta-lit] run {checkpoint.run!r}: writing to {checkpoint.manager.run_dir}")
        # SafeCheckpointIO loads with weights_only=True whatever is asked: never unpickle code.
        return super().fit(model, train_dataloaders, val_dataloaders, datamodule, ckpt_path, weights_only=True)

    def validate(
        self,
        model: L.LightningModule | None = None,
        dataloaders: Any = None,
        ckpt_path: str | Path | None = None,
        verbose: bool = True,
        datamodule: L.LightningDataModule | None = None,
        weights_only: bool | None = None,
        replay_dir: str | None = None,
    ) -> list:
        """Evaluation episodes; ``ckpt_path`` is a Lightning ``.ckpt``, any policy URI or
        ``random``; ``replay_dir`` writes one replay per episode."""
        if model is not None:
            model.replay_dir = replay_dir
        if ckpt_path is not None and not is_lightning_checkpoint(ckpt_path) and ckpt_path not in ("last", "best"):
            model.use_policy(str(ckpt_path))
            ckpt_path = None
        return super().validate(model, dataloaders, ckpt_path, verbose, datamodule, weights_only=True)


class MettaLitArgumentParser(LightningArgumentParser):
    """Leads an argument error with the one line that names the bad key (no usage dump)."""

    def error(self, message: str, ex: Exception | None = None) -> NoReturn:
        if not self.exit_on_error:
            super().error(message, ex)
        parser = getattr(ex, "subcommand_parser", None) or self
        options = [o for action in parser._actions for o in action.option_strings]
        prog = parser.prog.replace(" [options]", "")
        sys.stderr.write(f"{prog}: error: {summarize(message, options)}\n(run '{prog} --help' for the options)\n")
        sys.exit(2)


class MettaLitCLI(LightningCLI):
    def add_arguments_to_parser(self, parser: Any) -> None:
        parser.add_lightning_class_args(PolicyCheckpoint, "checkpoint")
        parser.add_lightning_class_args(PolicyEvaluator, "evaluator")

    def _parse_ckpt_path(self) -> None:
        # Lightning re-reads hyperparameters from a .ckpt; policy URIs (.mpt) carry none.
        subcommand = self.config.get("subcommand")
        ckpt_path = subcommand and self.config[subcommand].get("ckpt_path")
        if is_lightning_checkpoint(ckpt_path):
            if Path(ckpt_path).is_file():
                load_training_state(ckpt_path)  # a clear error for a file that is no checkpoint
            super()._parse_ckpt_path()

    def instantiate_trainer(self, **kwargs: Any) -> L.Trainer:
        trainer_config = self._get(self.config_init, "trainer", default={})
        if trainer_config.get("enable_progress_bar") is not False:
            kwargs["callbacks"] = [*(trainer_config.get("callbacks") or []), AgentStepProgressBar()]
        if self.subcommand == "fit":
            run_dir = self._get(self.config_init, "checkpoint").manager.run_dir
            if trainer_config.get("logger") in (None, True):
                # Default loggers write into the run directory next to its checkpoints.
                kwargs["logger"] = [RunCSVLogger(run_dir), TensorBoardLogger(run_dir, name="tensorboard", version="")]
            elif trainer_config.get("default_root_dir") is None:
                kwargs["default_root_dir"] = os.path.join(run_dir, "logs")  # where config.yaml goes without a logger
        else:
            # validate prints its metrics: no ./lightning_logs, no ./config.yaml in the working directory
            kwargs["logger"] = trainer_config.get("logger") or False
            self.save_config_callback = None
        return super().instantiate_trainer(**kwargs)


TRAINER_DEFAULTS: dict[str, Any] = {
    "accelerator": "cpu",
    "devices": 1,
    "max_epochs": -1,  # the budget is model.total_timesteps (agent steps)
    "use_distributed_sampler": False,  # the dummy one-item loader must not be split across ranks
    "num_sanity_val_steps": 0,
    "log_every_n_steps": 1,  # one batch per epoch
    "enable_model_summary": False,
    "enable_checkpointing": False,  # PolicyCheckpoint writes both the policies and last.ckpt
}


def cli(args: list[str] | None = None, run: bool = True) -> MettaLitCLI:
    """Builds (and by default runs) the CLI; ``args`` drives it from Python or tests."""
    return MettaLitCLI(
        MettaLitModule,
        trainer_class=MettaLitTrainer,
        parser_class=MettaLitArgumentParser,
        subclass_mode_model=True,
        auto_configure_optimizers=False,
        trainer_defaults=TRAINER_DEFAULTS,
        parser_kwargs={"parser_mode": "omegaconf+"},
        save_config_kwargs={"overwrite": True},
        args=args,
        run=run,
    )
