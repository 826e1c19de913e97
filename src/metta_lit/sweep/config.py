"""The sweep file (``configs/sweeps/*.yaml``): study, storage, search space, objective, pruner.

Search-space keys are the dotted keys of ``metta-lit fit`` (``model.init_args.learning_rate``,
``trainer.gradient_clip_val``, ...); each trial passes its values as ``--<key> <value>``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from metta_lit.core.errors import ConfigError, validation_message
from metta_lit.core.files import read_yaml
from metta_lit.core.packaged import find_config


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


INT_BOUND = 2**31  # an int dimension beyond this is a typo (update_epochs: 1.0e+30), not a search
STUDY_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"  # a file name: trials, logs and reports are named after it


class Param(Strict):
    """One dimension: ``log_uniform``/``uniform`` floats in [low, high], ``int`` in [low, high],
    or one of ``choices``."""

    type: Literal["log_uniform", "uniform", "int", "categorical"]
    low: float | None = None
    high: float | None = None
    choices: list[Any] | None = None

    @model_validator(mode="after")
    def _check(self) -> Param:
        for bound in (self.low, self.high):
            if bound is not None and not math.isfinite(bound):
                raise ValueError(f"bounds must be finite numbers, got {bound}")
            if bound is not None and self.type == "int" and (bound != int(bound) or abs(bound) > INT_BOUND):
                raise ValueError(f"int bounds must be whole numbers within +-{INT_BOUND:,}, got {bound:g}")
        if self.type == "categorical":
            if not self.choices or self.low is not None or self.high is not None:
                raise ValueError("categorical takes 'choices' (a non-empty list) and no low/high")
        elif self.low is None or self.high is None or self.choices is not None or not self.low <= self.high:
            raise ValueError(f"{self.type} takes 'low' <= 'high' and no choices")
        elif self.type == "log_uniform" and self.low <= 0:
            raise ValueError("log_uniform needs low > 0")
        return self


class Objective(Strict):
    metric: str = Field(description="a metric the trials log, e.g. evaluator/eval_navigation/score")
    direction: Literal["maximize", "minimize"] = "maximize"


class Pruner(Strict):
    """``median``: stop a trial whose intermediate value is worse than the median of earlier
    trials at the same step; ``threshold``: worse than ``lower``/``upper``; ``none``."""

    type: Literal["median", "threshold", "none"] = "median"
    n_startup_trials: int = Field(default=2, ge=0)
    n_warmup_steps: int = Field(default=0, ge=0, description="agent steps before pruning may start")
    lower: float | None = None
    upper: float | None = None


STORAGE_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".log", ".journal")


class SweepConfig(Strict):
    study: str = Field(
        pattern=STUDY_NAME, description="study name (letters, digits, . _ -); trials run as <study>.t<NNN>"
    )
    base_config: str = Field(description="the training config every trial starts from")
    storage: str = Field(min_length=1, description="study storage: a SQLite file (.db) or a journal file (.log)")
    n_trials: int = Field(ge=1, description="trials the study runs (complete, pruned or failed)")
    workers: int = Field(default=1, ge=1)
    max_consecutive_failures: int = Field(
        default=3, ge=1, description="this many failed trials in a row stop the sweep with the first one's error"
    )
    objective: Objective
    search_space: dict[str, Param] = Field(min_length=1)
    overrides: dict[str, Any] = {}
    pruner: Pruner = Pruner()
    sampler: Literal["tpe", "grid"] = Field(
        default="tpe",
        description="tpe: Optuna's TPE search; grid: every combination of categorical choices once "
        "(n_trials = their number), for a comparison rather than a search",
    )
    data_dir: str = "train_dir"
    output_dir: str = Field(default="sweeps", description="the trial table, importance plot and trial logs go here")
    seed: int = 0

    @model_validator(mode="after")
    def _check_names(self) -> SweepConfig:
        if ".." in self.study:
            raise ValueError(f"study {self.study!r}: '..' is not allowed in a study name")
        if self.sampler == "grid":
            continuous = [key for key, param in self.search_space.items() if param.type != "categorical"]
            if continuous:
                raise ValueError(
                    f"sampler grid: every search_space entry must be categorical ({', '.join(continuous)} is not)"
                )
            size = math.prod(len(param.choices or []) for param in self.search_space.values())
            if self.n_trials != size:
                raise ValueError(f"sampler grid: n_trials must be the grid's {size} combinations, got {self.n_trials}")
        if Path(self.storage).suffix not in STORAGE_SUFFIXES:
            raise ValueError(f"storage {self.storage!r}: a SQLite file (.db) or a journal file (.log, .journal)")
        return self

    @property
    def storage_path(self) -> Path:
        return Path(self.storage).expanduser().absolute()

    @classmethod
    def load(cls, path: str) -> SweepConfig:
        file = find_config(path)
        data = read_yaml(file, "sweep config")
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise ConfigError(f"{path}: {validation_message(e, 'sweep')}") from None
