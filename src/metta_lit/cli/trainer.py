"""The LightningCLI behind ``metta-lit fit`` and ``metta-lit validate``.

    metta-lit fit --config configs/arena.yaml [--model.init_args.total_timesteps 5e6] [--checkpoint.run NAME]
    metta-lit fit --config configs/arena.yaml --ckpt_path last          # resume the run
    metta-lit validate --config configs/arena.yaml --ckpt_path train_dir/NAME/checkpoints/NAME:latest

Configs are YAML (``--config``, OmegaConf interpolation resolved after command-line
overrides); ``--print_config`` shows the merged result. Multi-GPU / multi-node is Lightning's
``--trainer.accelerator gpu --trainer.devices N --trainer.strategy ddp --trainer.num_nodes M``.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any

import lightning as L
from lightning.fabric.plugins import CheckpointIO
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI
from lightning.pytorch.utilities import rank_zero_info

from metta_lit.checkpoints.lightning_io import CheckpointError, SafeCheckpointIO
from metta_lit.checkpoints.manager import CheckpointManager
from metta_lit.commands.argument_errors import ShortErrors
from metta_lit.core.errors import ConfigError
from metta_lit.runs import RunDir
from metta_lit.train.callbacks.checkpoint import PolicyCheckpoint
from metta_lit.train.callbacks.evaluation import PolicyEvaluator
from metta_lit.train.callbacks.progress import AgentStepProgressBar
from metta_lit.train.loggers import run_loggers
from metta_lit.train.module import MettaLitModule


class MettaLitArgumentParser(ShortErrors, LightningArgumentParser):
    """LightningCLI's parser with one-line argument errors."""


class MettaLitCLI(LightningCLI):
    """LightningCLI plus the run's checkpoint and evaluator groups; its ``before_*`` hooks turn
    a run name into a resume and a policy URI into the policy to validate."""

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_lightning_class_args(PolicyCheckpoint, "checkpoint")
        parser.add_lightning_class_args(PolicyEvaluator, "evaluator")
        parser.add_argument(
            "--policy_uri",
            type=str | None,
            default=None,
            help="a policy URI or 'random': validate evaluates it; fit starts training from it",
        )
        parser.add_argument(
            "--replay_dir",
            type=str | None,
            default=None,
            help="write a replay of every validation episode into this directory",
        )

    def _config(self) -> Any:
        """This subcommand's instantiated config (the whole config when built with ``run=False``)."""
        return self.config_init[self.subcommand] if self.subcommand else self.config_init

    def before_instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config
        if self.subcommand != "validate":
            place_loggers(config)

    def instantiate_trainer(self, **kwargs: Any) -> L.Trainer:
        trainer_config = self._config().get("trainer") or {}
        plugins = trainer_config.get("plugins") or []
        plugins = list(plugins) if isinstance(plugins, (list, tuple)) else [plugins]
        if not any(isinstance(p, CheckpointIO) for p in plugins):
            kwargs["plugins"] = [*plugins, SafeCheckpointIO()]  # never unpickle a checkpoint's code
        if trainer_config.get("enable_progress_bar") is not False:
            kwargs["callbacks"] = [*(trainer_config.get("callbacks") or []), AgentStepProgressBar()]
        if self.subcommand != "validate":  # fit, or a CLI built with run=False to call fit itself
            manager = self._config()["checkpoint"].manager
            run_dir = manager.run_dir
            if trainer_config.get("logger") is not False:
                # Loggers write into the run directory next to its checkpoints.
                kwargs["logger"] = run_loggers(trainer_config.get("logger"), run_dir)
            elif trainer_config.get("default_root_dir") is None:
                kwargs["default_root_dir"] = str(RunDir(run_dir).logs)  # where config.yaml goes without a logger
        else:
            # validate prints its metrics: no ./lightning_logs, no ./config.yaml in the working directory
            kwargs["logger"] = trainer_config.get("logger") or False
            self.save_config_callback = None
        return super().instantiate_trainer(**kwargs)

    def before_fit(self) -> None:
        """``--ckpt_path last``, or a run name that already has a training state, resumes it;
        ``--policy_uri`` starts a new run from that policy's weights (adapted to the env)."""
        config = self._config()
        manager = config["checkpoint"].manager
        state = manager.trainer_state_path
        ckpt_path = config.get("ckpt_path")
        if ckpt_path == "last" or (ckpt_path is None and os.path.exists(state)):
            if not os.path.exists(state):
                raise CheckpointError(f"--ckpt_path last: no training state at {state} to resume from")
            config["ckpt_path"] = state
            rank_zero_info(f"[metta-lit] resuming run {manager.run!r} from {state}")
        if config.get("policy_uri") is not None:
            if config.get("ckpt_path") is not None:
                raise ConfigError(
                    f"--policy_uri starts run {manager.run!r} from a policy, but the run resumes from "
                    f"{config['ckpt_path']}: use a new --checkpoint.run, or drop --policy_uri"
                )
            self.model.use_policy(config["policy_uri"])
        rank_zero_info(f"[metta-lit] run {manager.run!r}: writing to {manager.run_dir}")
        self.model.replay_dir = config.get("replay_dir")

    def before_validate(self) -> None:
        """``--policy_uri`` (a URI or ``random``) replaces the configured policy, adapted to the env."""
        config = self._config()
        uri = config.get("policy_uri")
        if uri is not None:
            if config.get("ckpt_path") is not None:
                raise ConfigError("validate: give --policy_uri or --ckpt_path, not both")
            self.model.use_policy(uri)
        self.model.replay_dir = config.get("replay_dir")


def place_loggers(config: Any) -> None:
    """Points configured loggers at the run before they are built: a ``WandbLogger`` left at
    its defaults writes into the run directory, under the run's name, in project ``metta-lit``
    (``$WANDB_PROJECT`` wins). Done on the config because loggers take these only when built."""
    checkpoint = config.get("checkpoint") or {}
    given = config.get("trainer", {}).get("logger")
    for spec in given if isinstance(given, list) else [given]:
        if not hasattr(spec, "class_path") or not spec.class_path.endswith(".WandbLogger"):
            continue
        manager = CheckpointManager.for_run(checkpoint.get("run"), checkpoint.get("data_dir"))
        init = spec.init_args
        if init.get("save_dir") in (None, ".") and init.get("dir") in (None, "."):
            init["save_dir"] = manager.run_dir
        if init.get("name") is None:
            init["name"] = manager.run
        if init.get("project") in (None, "lightning_logs") and "WANDB_PROJECT" not in os.environ:
            init["project"] = "metta-lit"


TRAINER_DEFAULTS: dict[str, Any] = {
    "accelerator": "cpu",
    "devices": 1,
    "max_epochs": -1,  # the budget is model.total_timesteps (agent steps)
    "num_sanity_val_steps": 0,
    "log_every_n_steps": 1,  # one batch per epoch
    "enable_model_summary": False,
}


# Lightning's start-up chatter that says nothing about this run (the user sees our lines and
# the progress bar): a litlogger advertisement, accelerator availability, the seed line.
QUIET = ("💡 Tip:", "GPU available:", "TPU available:", "Seed set to")


class Quiet(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith(QUIET)


def quiet_lightning() -> None:
    """Drops :data:`QUIET` lines from Lightning's log handlers and its own ``_pytree``
    deprecation warning (raised inside Lightning, about torch's API; nothing a user can act on)."""
    for name in ("lightning.pytorch", "lightning.fabric"):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, Quiet) for f in handler.filters):
                handler.addFilter(Quiet())
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)` is deprecated")


def cli(args: list[str] | None = None, run: bool = True) -> MettaLitCLI:
    """Builds (and by default runs) the CLI; ``args`` drives it from Python (tests, benchmarks,
    ``metta-lit run``), whatever ``sys.argv`` holds."""
    quiet_lightning()
    with warnings.catch_warnings():
        if args is not None:  # LightningCLI warns when sys.argv holds other arguments: here they are ours
            warnings.filterwarnings("ignore", message="LightningCLI's args parameter")
        return MettaLitCLI(
            MettaLitModule,
            parser_class=MettaLitArgumentParser,
            subclass_mode_model=True,
            auto_configure_optimizers=False,
            trainer_defaults=TRAINER_DEFAULTS,
            parser_kwargs={"parser_mode": "omegaconf+"},
            save_config_kwargs={"overwrite": True},
            args=args,
            run=run,
        )
