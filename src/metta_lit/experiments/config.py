"""The experiment file (``configs/experiments/*.yaml``): arms × seeds × a budget over a base
training config, the simulations every run is scored on, and how the runs are launched.

Arms are named sets of ``metta-lit fit`` overrides (dotted keys, as sweeps take them), or a
grid over one or two keys (an arm per combination, named after its values).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from metta_lit.core.errors import ConfigError, validation_message
from metta_lit.core.files import read_yaml
from metta_lit.core.packaged import find_config

NAME = r"^[A-Za-z0-9][A-Za-z0-9._=-]{0,63}$"  # part of a run's name, so of file names
MAX_SEEDS = 1000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Arm(Strict):
    name: str = Field(pattern=NAME, description="letters, digits and . _ = -; names the arm's runs")
    overrides: dict[str, Any] = Field(default={}, description="metta-lit fit overrides (dotted keys)")


class Scoring(Strict):
    """Every run is scored on fixed simulations at ``points`` checkpoints along its budget
    (the last at the budget), never on its training metrics."""

    simulations: list[str] = Field(min_length=1, description="as `evaluate --simulations` takes them")
    episodes: int = Field(default=16, ge=1, le=10_000, description="episodes per simulation and point")
    seed: int = Field(default=1_000_000, ge=0, lt=2**31, description="the maps and actions of the scoring episodes")
    points: int = Field(default=5, ge=1, le=100, description="checkpoints scored along the budget")
    metrics: list[str] = Field(
        default=["reward"], min_length=1, description="agent metrics scored; the first is the verdict's"
    )
    reps: int = Field(
        default=2000, ge=100, le=100_000, description="bootstrap resamples per interval (rliable's default: 2000)"
    )
    by_simulation: bool = Field(
        default=False,
        description="also compare the simulations within each arm (e.g. one per group size): each one's "
        "interval and the verdict of each pair",
    )


class ExperimentConfig(Strict):
    name: str = Field(pattern=NAME, description="the experiment's folder and the prefix of its runs")
    base_config: str = Field(description="the training config every run starts from (a fit YAML)")
    budget: int = Field(ge=1, lt=2**62, description="agent steps per run")
    seeds: int | list[int] = Field(default=5, description="a count (seeds 0..n-1) or the seeds themselves")
    overrides: dict[str, Any] = Field(default={}, description="fit overrides for every run")
    arms: list[Arm] | None = None
    grid: dict[str, list[Any]] | None = Field(default=None, description="one or two keys and their values")
    scoring: Scoring
    output_dir: str = "experiments"
    workers: int = Field(default=1, ge=1, le=256, description="runs at a time (local launcher)")
    retries: int = Field(default=1, ge=0, le=10, description="tries again a failed run this many times")

    @model_validator(mode="after")
    def _check(self) -> ExperimentConfig:
        if (self.arms is None) == (self.grid is None):
            raise ValueError("give either 'arms' (a list of {name, overrides}) or 'grid' (keys and their values)")
        if self.grid is not None:
            if not 1 <= len(self.grid) <= 2:
                raise ValueError(f"grid: one or two keys, got {len(self.grid)}")
            empty = [key for key, values in self.grid.items() if not values]
            if empty:
                raise ValueError(f"grid: {', '.join(empty)} has no values")
        names = [arm.name for arm in self.arm_list()]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"two arms are named {', '.join(twice)}")
        seeds = self.seed_list()
        if not seeds or len(set(seeds)) != len(seeds) or any(not 0 <= s < 2**31 for s in seeds):
            raise ValueError(f"seeds: a count >= 1 or distinct seeds in [0, 2**31), got {self.seeds}")
        return self

    def arm_list(self) -> list[Arm]:
        if self.arms is not None:
            return self.arms
        keys = list(self.grid)
        arms = []
        for values in itertools.product(*self.grid.values()):
            name = ",".join(f"{key.rsplit('.', 1)[-1]}={value}" for key, value in zip(keys, values, strict=True))
            arms.append(Arm(name=name.replace(",", "_"), overrides=dict(zip(keys, values, strict=True))))
        return arms

    def seed_list(self) -> list[int]:
        if isinstance(self.seeds, int):
            return list(range(self.seeds)) if 1 <= self.seeds <= MAX_SEEDS else []
        return list(self.seeds)

    @property
    def folder(self) -> Path:
        return Path(self.output_dir).expanduser().absolute() / self.name

    @classmethod
    def load(cls, path: str) -> ExperimentConfig:
        data = read_yaml(find_config(path), "experiment config")
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise ConfigError(f"{path}: {validation_message(e, 'experiment')}") from None
