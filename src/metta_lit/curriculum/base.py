"""The curriculum contract: which task a training env plays next, learned from scores.

The training env asks :meth:`Curriculum.sample` whenever one of its envs starts an
episode and reports :meth:`Curriculum.update` (the episode's mean reward per agent, the
original's task score) when it ends; both are cheap bookkeeping on the collector's thread,
so drawing tasks never stalls a rollout. Subclasses decide the distribution.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from metta_lit.curriculum.tasks import Task, TaskSpace

MAX_LOGGED_VALUES = 256  # bucket values whose probability is logged; more would flood the metrics file


class Curriculum(ABC):
    """Draws tasks from the product of ``buckets`` (dotted env key -> values).

    Configured as ``model.init_args.curriculum`` (``class_path`` + ``init_args``); the
    module logs :meth:`stats` under ``curriculum/*`` and keeps :meth:`state_dict` in its
    checkpoints, so a resumed run continues the same curriculum.
    """

    # ``buckets`` is typed ``dict[str, list]``, not ``Mapping[str, Sequence[Any]]``: jsonargparse
    # spends ~20 ms checking each value against ``Any`` (3,000 values: a minute before training).
    def __init__(self, buckets: dict[str, list], seed: int = 0) -> None:
        self.space = TaskSpace(buckets)
        self.rng = np.random.default_rng(seed)
        self.counts: Counter[int] = Counter()  # episodes finished per task id
        self._recent: list[float] = []  # scores since the last stats()

    def reseed(self, seed: int) -> None:
        """A different stream per DDP rank (the config gives every rank the same seed)."""
        self.rng = np.random.default_rng(seed)

    @abstractmethod
    def sample_id(self) -> int:
        """The id of the next task to play."""

    def sample(self) -> Task:
        return self.space.task(self.sample_id())

    def update(self, task: Task, score: float) -> None:
        """An episode of ``task`` ended with ``score`` (mean reward per agent)."""
        self.counts[task.id] += 1
        self._recent.append(score)

    @abstractmethod
    def probabilities(self) -> dict[int, float]:
        """The current sampling distribution over the tasks it can draw (may be partial)."""

    def marginals(self) -> dict[str, float]:
        """Probability of each bucket value under the current distribution."""
        return self.space.marginals(self.probabilities())

    def stats(self) -> dict[str, float]:
        """``curriculum/*`` metrics: episodes, distinct tasks played, mean score since the last
        call, the largest task probability and each bucket value's probability (when the
        buckets hold at most ``MAX_LOGGED_VALUES`` values in all)."""
        probabilities = self.probabilities()
        out = {
            "curriculum/episodes": float(sum(self.counts.values())),
            "curriculum/tasks_played": float(len(self.counts)),
            "curriculum/prob_max": max(probabilities.values(), default=0.0),
        }
        if self._recent:
            out["curriculum/mean_score"] = float(np.mean(self._recent))
            self._recent = []
        if sum(len(values) for values in self.space.values) <= MAX_LOGGED_VALUES:
            out.update({f"curriculum/p/{value}": p for value, p in self.marginals().items()})
        return out

    def state_dict(self) -> dict[str, Any]:
        """Plain data (ints, floats, strings): safe to load with ``weights_only``."""
        return {"counts": dict(self.counts), "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.counts = Counter({int(k): int(v) for k, v in state["counts"].items()})
        self.rng.bit_generator.state = state["rng"]
