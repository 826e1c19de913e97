"""Checks of the trainer's arguments, so a bad value is one line naming it before anything is built."""

from __future__ import annotations

import math

from metta_lit.core.errors import ConfigError, check_positive_int
from metta_lit.env.vec_env import check_seed


def check_arguments(hparams: dict) -> None:
    """Counts are positive integers, the seed fits, the learning rate is a finite positive
    number, and a minibatch holds whole BPTT rows."""
    counts = (
        "num_envs",
        "env_threads",
        "total_timesteps",
        "bptt_horizon",
        "minibatch_size",
        "update_epochs",
        "eval_envs",
    )
    for name in counts:
        check_positive_int(hparams[name], f"model.{name}")
    if hparams["torch_threads"] is not None:  # None: chosen at fit start
        check_positive_int(hparams["torch_threads"], "model.torch_threads")
    check_seed(hparams["seed"], "model.seed")
    learning_rate = hparams["learning_rate"]
    if not (isinstance(learning_rate, int | float) and math.isfinite(learning_rate) and learning_rate > 0):
        raise ConfigError(f"model.learning_rate: must be a finite number > 0, got {learning_rate}")
    if hparams["minibatch_size"] % hparams["bptt_horizon"]:
        raise ConfigError(
            f"model.minibatch_size ({hparams['minibatch_size']}) must be a multiple of "
            f"bptt_horizon ({hparams['bptt_horizon']})"
        )
