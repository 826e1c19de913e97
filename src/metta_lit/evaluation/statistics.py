"""The statistics comparisons report: a percentile-bootstrap interval of a mean, and the
sample size at which an interval of a measured spread would exclude zero."""

from __future__ import annotations

import math

import numpy as np

RESAMPLES = 10_000
Z95 = 1.959964


def bootstrap_interval(values: np.ndarray, seed: int, resamples: int = RESAMPLES) -> tuple[float, float]:
    """Percentile bootstrap 95% interval of the mean (no assumption on the values' shape:
    episode rewards are often skewed or mostly zero)."""
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (resamples, len(values)))].mean(1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def episodes_needed(differences: np.ndarray) -> float:
    """The N at which a normal 95% interval of this spread excludes zero: (1.96·sd/mean)²."""
    mean, sd = float(differences.mean()), float(differences.std(ddof=1)) if len(differences) > 1 else 0.0
    if mean == 0:
        return math.inf
    return max(2.0, math.ceil((Z95 * sd / abs(mean)) ** 2))
