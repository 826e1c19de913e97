"""The learning-progress curriculum: play the tasks whose score is changing.

As in the original (bidirectional learning progress): each task in a bounded active pool
keeps a fast and a slow exponential moving average of its episode scores; their absolute
difference is its learning progress, high while the score moves (up or down) and near zero
for a task that is solved or impossible. Tasks are drawn in proportion to it, except for a
``rand_task_rate`` share of draws that explore: they bring a fresh task from the bucket
space into the pool, evicting the stalest one (the least progress among those seen
``min_presentations`` times).

Defaults are sized for CPU budgets (a 10M-step arena run ends ~400 episodes per rank):
the original's pool of 1000 tasks and EMA timescale of 0.001 assume 100M+ steps on GPUs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from metta_lit.curriculum.base import Curriculum
from metta_lit.errors import ConfigError


class LearningProgressCurriculum(Curriculum):
    """Tasks sampled in proportion to |fast EMA - slow EMA| of their scores, plus exploration."""

    def __init__(
        self,
        buckets: Mapping[str, Sequence[Any]],
        num_active_tasks: int = 64,
        ema_timescale: float = 0.1,
        rand_task_rate: float = 0.25,
        min_presentations: int = 3,
        seed: int = 0,
    ) -> None:
        super().__init__(buckets, seed)
        if num_active_tasks < 1:
            raise ConfigError(f"curriculum.num_active_tasks: must be >= 1, got {num_active_tasks}")
        if not 0 < ema_timescale <= 1:
            raise ConfigError(f"curriculum.ema_timescale: must be in (0, 1], got {ema_timescale}")
        if not 0 <= rand_task_rate <= 1:
            raise ConfigError(f"curriculum.rand_task_rate: must be in [0, 1], got {rand_task_rate}")
        self.num_active_tasks = min(num_active_tasks, self.space.size)
        self.ema_timescale = ema_timescale
        self.rand_task_rate = rand_task_rate
        self.min_presentations = min_presentations
        self.pool: dict[int, list[float]] = {}  # task id -> [fast EMA, slow EMA, episodes]

    # --- learning progress -----------------------------------------------------------------
    def update(self, task, score: float) -> None:
        super().update(task, score)
        stats = self.pool.get(task.id)
        if stats is None:  # evicted while its episode was running
            return
        fast, slow, n = stats
        if n == 0:
            fast = slow = score
        else:
            fast += self.ema_timescale * (score - fast)
            slow += self.ema_timescale * (fast - slow)
        self.pool[task.id] = [fast, slow, n + 1]

    def learning_progress(self, task_id: int) -> float:
        fast, slow, _ = self.pool[task_id]
        return abs(fast - slow)

    def _weights(self, ids: list[int]) -> np.ndarray:
        """Learning progress per task; a task seen fewer than ``min_presentations`` times
        borrows the pool's highest, so new tasks get measured before they are judged."""
        progress = np.array([self.learning_progress(i) for i in ids])
        seen = np.array([self.pool[i][2] >= self.min_presentations for i in ids])
        top = progress[seen].max() if seen.any() else 1.0
        weights = np.where(seen, progress, top if top > 0 else 1.0)
        total = weights.sum()
        return weights / total if total > 0 else np.full(len(ids), 1.0 / len(ids))

    # --- sampling --------------------------------------------------------------------------
    def sample_id(self) -> int:
        if len(self.pool) < self.num_active_tasks or self.rng.random() < self.rand_task_rate:
            return self._explore()
        ids = list(self.pool)
        return ids[int(self.rng.choice(len(ids), p=self._weights(ids)))]

    def _explore(self) -> int:
        """A fresh task into the pool (evicting the stalest when full), else a random member."""
        fresh = next((t for t in self.rng.integers(self.space.size, size=8).tolist() if t not in self.pool), None)
        if fresh is not None and len(self.pool) >= self.num_active_tasks:
            judged = [i for i, (_, _, n) in self.pool.items() if n >= self.min_presentations]
            if judged:
                del self.pool[min(judged, key=self.learning_progress)]
            else:
                fresh = None
        if fresh is None:
            ids = list(self.pool)
            return ids[int(self.rng.integers(len(ids)))]
        self.pool[fresh] = [0.0, 0.0, 0]
        return fresh

    def probabilities(self) -> dict[int, float]:
        """The chance each pool task is drawn next (exploration's share spread evenly)."""
        if not self.pool:
            return {}
        ids = list(self.pool)
        mixed = (1 - self.rand_task_rate) * self._weights(ids) + self.rand_task_rate / len(ids)
        return dict(zip(ids, mixed.tolist(), strict=True))

    def stats(self) -> dict[str, float]:
        out = super().stats()
        out["curriculum/pool_size"] = float(len(self.pool))
        if self.pool:
            out["curriculum/mean_learning_progress"] = float(np.mean([self.learning_progress(i) for i in self.pool]))
        return out

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "pool": {k: list(v) for k, v in self.pool.items()}}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)
        self.pool = {int(k): [float(v[0]), float(v[1]), int(v[2])] for k, v in state["pool"].items()}
