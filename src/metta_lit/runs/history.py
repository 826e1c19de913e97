"""A run's metrics history (``logs/metrics.csv``) and its means over windows of agent steps.

One reader for everything that judges or draws a run: the stable suite's criteria, the
dashboard's curves and ``scripts/learning_curve.py``. Values are parsed as numbers only
(text stays data), and the file is bounded while it is read.

Episode metrics (``episode/*``, ``env_agent/*``, ``env_game/*``) are logged per update as
means over the episodes that finished in it (``overview/episodes`` of them); a stat no agent
recorded is absent. A window's mean weights each update by its episodes and counts an
absent stat as 0 in updates that finished episodes, so it is the per-agent-episode mean of
the window (hearts per agent-episode), not a mean of the updates that happened to see one.
Other metrics (losses, throughput, ``val/*``) are plain means of the rows that carry them;
a row without ``overview/agent_steps`` (validation's) belongs to the last step seen.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from metta_lit.runs.run_dir import RunDir

STEPS = "overview/agent_steps"
EPISODES = "overview/episodes"
EPISODE_PREFIXES = ("episode/", "env_agent/", "env_game/")
MAX_BYTES = 256 << 20  # a 10B-step run logs ~400k rows of ~150 numbers: well under this
MAX_FIELD = 1 << 16  # a number is never longer; a longer field is not a metric


class HistoryError(ValueError):
    """A metrics file that is too large or not a metrics CSV."""


def number(text: str | None) -> float | None:
    """A float (``nan`` and ``inf`` included: a diverged loss is data), or None for an empty
    or non-numeric field."""
    if not text or len(text) > 64:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def is_episode_metric(name: str) -> bool:
    return name.startswith(EPISODE_PREFIXES)


@dataclass
class History:
    """The metrics of a run as columns of equal length (None where a row has no value; a
    non-finite value is kept, and left out of means and :meth:`finite_columns`)."""

    columns: dict[str, list[float | None]]

    @classmethod
    def parse(cls, text: str) -> History:
        csv.field_size_limit(MAX_FIELD)
        try:
            reader = csv.DictReader(io.StringIO(text, newline=""))
            names = [name for name in reader.fieldnames or [] if name]
            columns: dict[str, list[float | None]] = {name: [] for name in names}
            for row in reader:
                for name, values in columns.items():
                    values.append(number(row.get(name)))
        except csv.Error as e:
            raise HistoryError(f"not a metrics CSV: {e}") from None
        return cls(columns)

    @classmethod
    def read(cls, path: str | Path, max_bytes: int = MAX_BYTES) -> History:
        """``path`` is a run directory or its ``metrics.csv``; a missing file is an empty history."""
        path = Path(path)
        if path.is_dir():
            path = RunDir(path).metrics
        if not path.is_file():
            return cls({})
        with open(path, "rb") as f:  # bounded while reading: the size on disk may change
            data = f.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise HistoryError(f"{path.name}: larger than the {max_bytes:,}-byte limit")
        return cls.parse(data.decode("utf-8", errors="replace"))

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))

    def metrics(self) -> list[str]:
        """The metric names that carry at least one finite value."""
        return [name for name, values in self.columns.items() if any(finite(v) is not None for v in values)]

    def finite_columns(self) -> dict[str, list[float | None]]:
        """:meth:`metrics`' columns with non-finite values as None (JSON has no NaN)."""
        return {name: [finite(v) for v in self.columns[name]] for name in self.metrics()}

    def steps(self) -> list[float]:
        """Each row's agent step (rows without one take the last seen, 0 before any)."""
        out, last = [], 0.0
        for value in self.columns.get(STEPS, [None] * len(self)):
            last = finite(value) if finite(value) is not None else last
            out.append(last)
        return out

    def series(self, metric: str) -> list[tuple[float, float]]:
        """(agent step, value) of every row that logged ``metric``, non-finite values included:
        what a sweep reports to its pruner, and whose last value is the trial's objective."""
        values = self.columns.get(metric, [None] * len(self))
        return [(s, v) for s, v in zip(self.steps(), values, strict=True) if v is not None]

    def _points(self, metric: str) -> list[tuple[float, float, float]]:
        """(step, value, weight) of each row that counts for ``metric``."""
        values = self.columns.get(metric, [None] * len(self))
        steps = self.steps()
        values = [finite(v) for v in values]
        if not is_episode_metric(metric) or EPISODES not in self.columns:  # (logs from before episodes were counted)
            return [(s, v, 1.0) for s, v in zip(steps, values, strict=True) if v is not None]
        episodes = [finite(n) for n in self.columns.get(EPISODES, [None] * len(self))]
        return [(s, v or 0.0, n) for s, v, n in zip(steps, values, episodes, strict=True) if n]

    @staticmethod
    def _mean(points: list[tuple[float, float, float]]) -> float | None:
        weight = sum(w for _, _, w in points)
        return sum(v * w for _, v, w in points) / weight if weight > 0 else None

    def window_means(self, metrics: list[str], every: float = 1e6) -> dict[str, list[float | None]]:
        """``{"steps": [window ends], metric: [mean per window]}`` over consecutive windows of
        ``every`` agent steps (an update ending at step s is in the window holding s - 1)."""
        if every <= 0 or not math.isfinite(every):
            raise ValueError(f"every must be a positive number of agent steps, got {every}")
        end = max(self.steps(), default=0.0)
        count = max(1, math.ceil(end / every))
        out: dict[str, list[float | None]] = {"steps": [every * (k + 1) for k in range(count)]}
        for metric in metrics:
            bins: list[list[tuple[float, float, float]]] = [[] for _ in range(count)]
            for point in self._points(metric):
                bins[min(count - 1, max(0, math.ceil(point[0] / every) - 1))].append(point)
            out[metric] = [self._mean(b) for b in bins]
        return out

    def final_mean(self, metric: str, window: float) -> float | None:
        """Mean of ``metric`` over the last ``window`` agent steps of the run."""
        points = self._points(metric)
        if not points:
            return None
        end = max(self.steps())
        mean = self._mean([p for p in points if p[0] > end - window])
        return mean if mean is not None else self._mean(points[-1:])
