"""``metta-lit``: the LightningCLI of metta-lit.

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
from typing import Any

import lightning as L
from lightning.pytorch.cli import LightningCLI
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

from metta_lit.callbacks.progress import AgentStepProgressBar
from metta_lit.checkpoints import PolicyCheckpoint
from metta_lit.checkpoints.policy_file import load_policy_weights
from metta_lit.checkpoints.uri import resolve_policy_uri
from metta_lit.module import MettaLitModule
from metta_lit.sim.evaluator import PolicyEvaluator


def is_lightning_checkpoint(path: str | Path | None) -> bool:
    return path is not None and str(path).endswith(".ckpt")


class MettaLitTrainer(L.Trainer):
    """A Trainer whose ``fit`` resumes runs and whose ``validate`` takes policy URIs."""

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
                    raise FileNotFoundError(f"--ckpt_path last: no training state at {state} to resume from")
                ckpt_path = state
                print(f"[metta-lit] resuming run {checkpoint.run!r} from {state}")
        # Our own checkpoints hold plain python values next to tensors (agent steps, URIs).
        return super().fit(model, train_dataloaders, val_dataloaders, datamodule, ckpt_path, weights_only=False)

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
        """Evaluation episodes; ``ckpt_path`` is a Lightning ``.ckpt`` or any policy URI;
        ``replay_dir`` writes one replay per episode."""
        if model is not None:
            model.replay_dir = replay_dir
        if ckpt_path is not None and not is_lightning_checkpoint(ckpt_path) and ckpt_path not in ("last", "best"):
            url = resolve_policy_uri(str(ckpt_path))
            load_policy_weights(model.policy, url)
            print(f"[metta-lit] validating policy {url}")
            ckpt_path = None
        return super().validate(model, dataloaders, ckpt_path, verbose, datamodule, weights_only=False)


class MettaLitCLI(LightningCLI):
    def add_arguments_to_parser(self, parser: Any) -> None:
        parser.add_lightning_class_args(PolicyCheckpoint, "checkpoint")
        parser.add_lightning_class_args(PolicyEvaluator, "evaluator")

    def _parse_ckpt_path(self) -> None:
        # Lightning re-reads hyperparameters from a .ckpt; policy URIs (.mpt) carry none.
        subcommand = self.config.get("subcommand")
        if subcommand and is_lightning_checkpoint(self.config[subcommand].get("ckpt_path")):
            super()._parse_ckpt_path()

    def instantiate_trainer(self, **kwargs: Any) -> L.Trainer:
        trainer_config = self._get(self.config_init, "trainer", default={})
        if self.subcommand == "fit" and trainer_config.get("logger") in (None, True):
            # Default loggers write into the run directory next to its checkpoints.
            run_dir = self._get(self.config_init, "checkpoint").manager.run_dir
            kwargs["logger"] = [
                CSVLogger(run_dir, name="logs", version=""),
                TensorBoardLogger(run_dir, name="tensorboard", version=""),
            ]
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
    "callbacks": [AgentStepProgressBar()],
}


def cli(args: list[str] | None = None, run: bool = True) -> MettaLitCLI:
    """Builds (and by default runs) the CLI; ``args`` drives it from Python or tests."""
    return MettaLitCLI(
        MettaLitModule,
        trainer_class=MettaLitTrainer,
        subclass_mode_model=True,
        auto_configure_optimizers=False,
        trainer_defaults=TRAINER_DEFAULTS,
        parser_kwargs={"parser_mode": "omegaconf+"},
        save_config_kwargs={"overwrite": True},
        args=args,
        run=run,
    )


def tools() -> dict[str, Any]:
    from metta_lit.tools import analyze, evaluate, play, replay

    return {"evaluate": evaluate.main, "analyze": analyze.main, "replay": replay.main, "play": play.main}


USAGE = """usage: metta-lit {fit,validate,evaluate,analyze,replay,play} ...

  fit        train a policy (LightningCLI: --config, overrides, --print_config, --ckpt_path)
  validate   evaluation episodes with a checkpoint or policy URI (LightningCLI)
  evaluate   run policies on simulation suites, record episodes in DuckDB
  analyze    metric tables and a scorecard heatmap from an evaluation database
  replay     run one episode with a policy and write its replay file
  play       steer an agent in the terminal while a policy (or random) drives the others

Run 'metta-lit <command> --help' for the options of a command."""


def main() -> None:
    """Console entry point ``metta-lit``: LightningCLI for fit/validate, plain tools for the rest."""
    argv = sys.argv[1:]
    commands = tools()
    if argv and argv[0] in commands:
        commands[argv[0]](argv[1:])
    elif not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
    else:
        cli()


if __name__ == "__main__":
    main()
