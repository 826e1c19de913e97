"""The learning-progress curriculum: play the tasks whose score is changing.

As the original's bidirectional learning progress: each task in a bounded active pool keeps
a fast and a slow exponential moving average of its episode scores; their gap is its
learning progress, high while the score moves (up or down) and near zero for a task that is
solved or impossible. Sampling weights standardize the pool's progress, pass it through a
sigmoid and normalize (scale-free, so reward magnitudes of different tasks do not decide);
a task not yet measured ``min_presentations`` times gets the pool's best weight so it is
measured before it is judged. A ``rand_task_rate`` share of draws explores: it brings a fresh
task from the bucket space into the full pool, evicting the measured task with the least
progress.

**Sized from episodes, not steps.** What decides whether the sampler can separate tasks is
how many episodes each pool task gets. A 10M-agent-step arena run (24 agents, 1000-step
episodes) finishes only ~420 episodes over all its envs; the original's pool of 1000 tasks
with an EMA timescale of 0.001 needs 100M+ episodes-worth of budget. The earlier defaults
(a pool of 64, timescale 0.1, slow EMA smoothing the fast one) gave each task ~6 episodes
and a fast/slow gap of a few hundredths of the noise, so the distribution never left
uniform (``curriculum/prob_max`` 0.018 for a whole run). The defaults here give each pool
task ~25 episodes of a 420-episode run (16 tasks), a fast EMA over ~4 episodes and a slow
one over ~20 (the task's time in the pool), so a task whose score rises separates from the
flat ones within ~10 of its own episodes (``tests/test_curriculum.py`` checks this on a
synthetic task set with a 420-episode budget). :func:`pool_for_episodes` sizes the pool
for other budgets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from metta_lit.core.errors import ConfigError, check_positive_int, check_range
from metta_lit.curriculum.base import Curriculum

EPISODES_PER_TASK = 25  # what a pool task should get over a run for its progress to be measured


def pool_for_episodes(episodes: int, low: int = 4, high: int = 1000) -> int:
    """The active pool size that gives each task ~EPISODES_PER_TASK episodes of a run that
    finishes ``episodes`` episodes (the original's 1000 at its GPU budgets)."""
    return int(min(high, max(low, episodes // EPISODES_PER_TASK)))


class LearningProgressCurriculum(Curriculum):
    """Tasks sampled by the bidirectional learning progress of their scores, plus exploration."""

    def __init__(
        self,
        buckets: dict[str, list],
        num_active_tasks: int = 16,  # original: 1000 (max_memory_tasks), for 100M-2B agent steps
        ema_timescale: float = 0.25,  # fast EMA rate per episode; original: 0.001
        slow_timescale_factor: float = 0.2,  # slow EMA rate = ema_timescale x this (as the original)
        rand_task_rate: float = 0.1,
        min_presentations: int = 3,
        seed: int = 0,
    ) -> None:
        super().__init__(buckets, seed)
        check_positive_int(num_active_tasks, "curriculum.num_active_tasks")
        check_positive_int(min_presentations, "curriculum.min_presentations")
        for name, value in (("ema_timescale", ema_timescale), ("slow_timescale_factor", slow_timescale_factor)):
            if check_range(value, f"curriculum.{name}", 0.0, 1.0) == 0:
                raise ConfigError(f"curriculum.{name}: must be in (0, 1], got {value!r}")
        check_range(rand_task_rate, "curriculum.rand_task_rate", 0.0, 1.0)
        self.num_active_tasks = min(num_active_tasks, self.space.size)
        self.fast_rate = float(ema_timescale)
        self.slow_rate = float(ema_timescale * slow_timescale_factor)
        self.rand_task_rate = float(rand_task_rate)
        self.min_presentations = min_presentations
        self.pool: dict[int, list[float]] = {}  # task id -> [fast EMA, slow EMA, episodes]
        self.evictions = 0

    # --- learning progress -----------------------------------------------------------------
    def update(self, task, score: float) -> None:
        super().update(task, score)
        stats = self.pool.get(task.id)
        if stats is None or not math.isfinite(score):  # evicted while its episode ran; a NaN teaches nothing
            return
        fast, slow, n = stats
        if n == 0:
            fast = slow = score
        else:  # both track the scores, at two rates (the original's bidirectional EMAs)
            fast += self.fast_rate * (score - fast)
            slow += self.slow_rate * (score - slow)
        self.pool[task.id] = [fast, slow, n + 1]

    def learning_progress(self, task_id: int) -> float:
        fast, slow, _ = self.pool[task_id]
        return abs(fast - slow)

    def _measured(self, task_id: int) -> bool:
        return self.pool[task_id][2] >= self.min_presentations

    def _weights(self, ids: list[int]) -> np.ndarray:
        """Sampling weights of pool tasks: progress standardized over the pool, through a
        sigmoid, normalized (the original's bidirectional scoring). Unmeasured tasks get the
        best measured weight."""
        progress = np.array([self.learning_progress(i) for i in ids])
        measured = np.array([self._measured(i) for i in ids])
        if not measured.any():
            return np.full(len(ids), 1.0 / len(ids))
        scores = progress.copy()
        scores[~measured] = progress[measured].max()
        std = scores.std()
        z = (scores - scores.mean()) / std if std > 0 else np.zeros_like(scores)
        weights = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
        weights[measured & (progress <= 0)] = 0.0  # no progress at all: nothing to learn there
        total = weights.sum()
        return weights / total if total > 0 else np.full(len(ids), 1.0 / len(ids))

    # --- sampling --------------------------------------------------------------------------
    def sample_id(self) -> int:
        if len(self.pool) < self.num_active_tasks or self.rng.random() < self.rand_task_rate:
            return self._explore()
        ids = list(self.pool)
        return ids[int(self.rng.choice(len(ids), p=self._weights(ids)))]

    def _explore(self) -> int:
        """A fresh task into the pool (evicting the least-progress measured one when full),
        else a uniformly drawn pool member."""
        fresh = next((t for t in (self.space.random_id(self.rng) for _ in range(8)) if t not in self.pool), None)
        if fresh is not None and len(self.pool) >= self.num_active_tasks:
            measured = [i for i in self.pool if self._measured(i)]
            if measured:
                del self.pool[min(measured, key=self.learning_progress)]
                self.evictions += 1
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
        out["curriculum/evictions"] = float(self.evictions)
        if self.pool:
            out["curriculum/mean_learning_progress"] = float(np.mean([self.learning_progress(i) for i in self.pool]))
            out["curriculum/measured_tasks"] = float(sum(self._measured(i) for i in self.pool))
        return out

    def state_dict(self) -> dict[str, Any]:
        pool = {k: list(v) for k, v in self.pool.items()}
        return {**super().state_dict(), "pool": pool, "evictions": self.evictions}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)
        self.pool = {int(k): [float(v[0]), float(v[1]), int(v[2])] for k, v in state["pool"].items()}
        self.evictions = int(state.get("evictions", 0))
