"""Task spaces: the Cartesian product of env-config override values (buckets).

A task is one choice of value per bucket, applied to the training env's config as dotted
overrides (``game.agent.rewards.inventory.ore_red = 0.5``). A bucket key may name several
dotted keys, comma-separated, that take its value together (``game.num_agents,
game.map_builder.agents: [2, 4, 8]``: the group size, with the map placing as many). Tasks are numbered by their
digits in a mixed radix (bucket ``i`` has ``len(values_i)`` digits), so a space of 10^5
tasks costs nothing until a task is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from metta_lit.core.errors import ConfigError

MAX_VALUES = 10_000  # values of one bucket: more is a generated list gone wrong, not a curriculum


def short(key: str) -> str:
    """A bucket key's last two parts (``inventory_max.ore_red``): unique in the arena buckets,
    readable in logs."""
    return ".".join(key.split(".")[-2:])


@dataclass(frozen=True)
class Task:
    """One point of a task space: its number and the overrides it applies."""

    id: int
    overrides: dict[str, Any]

    @property
    def name(self) -> str:
        """``inventory.ore_red=0.5,consumed_resources.laser=1,...`` (stable, for logs and replays)."""
        return ",".join(f"{short(key)}={value}" for key, value in self.overrides.items()) or "base"


class TaskSpace:
    """The Cartesian product of ``buckets`` (dotted env key -> the values it takes)."""

    def __init__(self, buckets: Mapping[str, Sequence[Any]]) -> None:
        self.keys = list(buckets)
        self.values = [list(values) for values in buckets.values()]
        # The dotted keys each bucket sets (several for a comma-separated key), split once.
        self._parts = [[part.strip() for part in key.split(",")] if isinstance(key, str) else [] for key in self.keys]
        for key, parts, values in zip(self.keys, self._parts, self.values, strict=True):
            if not parts or not all(parts):
                raise ConfigError(f"curriculum bucket {key!r}: keys are dotted env config keys (comma-separated)")
            if not values:
                raise ConfigError(f"curriculum bucket {key!r}: needs at least one value")
            if len(values) > MAX_VALUES:
                raise ConfigError(f"curriculum bucket {key!r}: {len(values):,} values; at most {MAX_VALUES:,}")
            for value in values:  # every value up front, not when a task first draws it
                if isinstance(value, float) and not math.isfinite(value):
                    raise ConfigError(f"curriculum bucket {key!r}: {value} is not a usable value")
                if value is not None and not isinstance(value, (bool, int, float, str, dict, list)):
                    raise ConfigError(f"curriculum bucket {key!r}: {value!r} is not a config value")
            if len({repr(v) for v in values}) != len(values):
                raise ConfigError(f"curriculum bucket {key!r}: repeats a value in {values[:20]}")
        self.size = math.prod(len(values) for values in self.values)

    def random_id(self, rng: np.random.Generator) -> int:
        """A uniformly drawn task id, digit by digit: Python ints, so a space beyond numpy's
        int64 (more than 2^63 tasks) draws as well as a small one."""
        task_id = 0
        for values in self.values:
            task_id = task_id * len(values) + int(rng.integers(len(values)))
        return task_id

    def digits(self, task_id: int) -> list[int]:
        """The value index each bucket takes in task ``task_id``."""
        if not 0 <= task_id < self.size:
            raise IndexError(f"task {task_id} is outside a space of {self.size} tasks")
        out = []
        for values in reversed(self.values):
            task_id, digit = divmod(task_id, len(values))
            out.append(digit)
        return out[::-1]

    def task(self, task_id: int) -> Task:
        digits = self.digits(task_id)
        overrides = {
            part: values[d] for parts, values, d in zip(self._parts, self.values, digits, strict=True) for part in parts
        }
        return Task(task_id, overrides)

    def marginals(self, probabilities: Mapping[int, float]) -> dict[str, float]:
        """Probability of each bucket value under a distribution over task ids, keyed
        ``<short key>=<value>`` (what the curriculum favours, in a few numbers)."""
        out = {f"{short(key)}={v}": 0.0 for key, values in zip(self.keys, self.values, strict=True) for v in values}
        for task_id, p in probabilities.items():
            for key, values, d in zip(self.keys, self.values, self.digits(task_id), strict=True):
                out[f"{short(key)}={values[d]}"] += p
        return out

    def marginals_uniform(self) -> dict[str, float]:
        """:meth:`marginals` of the uniform distribution, without listing the tasks."""
        return {
            f"{short(key)}={v}": 1.0 / len(values)
            for key, values in zip(self.keys, self.values, strict=True)
            for v in values
        }
