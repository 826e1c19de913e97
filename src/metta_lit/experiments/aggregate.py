"""An experiment's statistics, as *Deep RL at the Edge of the Statistical Precipice* (Agarwal et
al., 2021) recommends and its ``rliable`` package computes: per arm the mean and the
interquartile mean (IQM) over runs x simulations, with stratified-bootstrap 95% intervals;
the probability that one arm's run beats another's; performance profiles; learning curves with
pointwise intervals. Then a verdict per pair of arms: they differ (the interval of the
difference of means excludes 0), or these seeds cannot tell, and about how many would.

Scores are each run's means on the fixed scoring simulations, a matrix [runs x simulations]
per arm and checkpoint point; simulations are not normalized, so aggregate across several only
when their scales are comparable.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from itertools import combinations
from typing import Any

import numpy as np

Z95 = 1.959964
REPS = 2000  # bootstrap resamples (rliable's default): intervals move by well under their width between seeds


def _rliable() -> tuple[Any, Any]:
    try:
        from rliable import library, metrics
    except ImportError:
        from metta_lit.core.errors import ConfigError

        raise ConfigError("experiment statistics need rliable: pip install -e '.[experiments]'") from None
    return library, metrics


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """rliable's stratified bootstrap draws its resamples from NumPy's global generator (its
    ``random_state`` does not reach them), so the same seed gives the same intervals only when
    that generator is seeded; its state is put back afterwards."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def aggregates(scores: dict[str, np.ndarray], seed: int = 0, reps: int = REPS) -> dict[str, dict[str, Any]]:
    """Per arm: mean and IQM with 95% stratified-bootstrap intervals (rliable)."""
    library, metrics = _rliable()

    def both(x: np.ndarray) -> np.ndarray:
        return np.array([metrics.aggregate_mean(x), metrics.aggregate_iqm(x)])

    with seeded(seed):
        point, interval = library.get_interval_estimates(scores, both, reps=reps)
    return {
        arm: {
            "runs": int(scores[arm].shape[0]),
            "mean": float(point[arm][0]),
            "mean_ci": [float(interval[arm][0][0]), float(interval[arm][1][0])],
            "iqm": float(point[arm][1]),
            "iqm_ci": [float(interval[arm][0][1]), float(interval[arm][1][1])],
        }
        for arm in scores
    }


def pairs(scores: dict[str, np.ndarray], seed: int = 0, reps: int = REPS) -> list[dict[str, Any]]:
    """For each pair of arms (A, B): P(A's run > B's run) and mean(A) - mean(B), each with its
    95% bootstrap interval, and the verdict they support."""
    library, metrics = _rliable()
    names = list(scores)
    pairs = {f"{a}|{b}": (scores[a], scores[b]) for a, b in combinations(names, 2)}
    if not pairs:
        return []
    with seeded(seed):
        poi, poi_ci = library.get_interval_estimates(pairs, metrics.probability_of_improvement, reps=reps)
    with seeded(seed):
        diff, diff_ci = library.get_interval_estimates(pairs, lambda x, y: np.mean(x) - np.mean(y), reps=reps)
    out = []
    for key, (x, y) in pairs.items():
        a, b = key.split("|")
        low, high = float(np.ravel(diff_ci[key])[0]), float(np.ravel(diff_ci[key])[1])
        out.append(
            {
                "a": a,
                "b": b,
                "probability_of_improvement": float(np.ravel(poi[key])[0]),
                "probability_of_improvement_ci": [float(v) for v in np.ravel(poi_ci[key])],
                "difference": float(np.ravel(diff[key])[0]),
                "difference_ci": [low, high],
                "differ": low > 0 or high < 0,
                "seeds_needed": seeds_needed(x, y),
            }
        )
    return out


def seeds_needed(x: np.ndarray, y: np.ndarray) -> float:
    """Runs per arm at which a normal 95% interval of the difference of two means, with the
    spread measured here, would exclude zero: 2 (1.96 sd / |d|)^2 (inf: no difference seen)."""
    a, b = x.mean(axis=1), y.mean(axis=1)  # one score per run
    difference = float(a.mean() - b.mean())
    spread = math.sqrt((a.var(ddof=1) if len(a) > 1 else 0.0) / 2 + (b.var(ddof=1) if len(b) > 1 else 0.0) / 2)
    if difference == 0:
        return math.inf
    return float(max(2, math.ceil(2 * (Z95 * spread / abs(difference)) ** 2)))


def verdict(pair: dict[str, Any], metric: str) -> str:
    """One line: which arm scores higher and by how much (higher is not always better: a Gini,
    a cost), or that these seeds cannot tell."""
    a, b, d = pair["a"], pair["b"], pair["difference"]
    low, high = pair["difference_ci"]
    p, (p_low, p_high) = pair["probability_of_improvement"], pair["probability_of_improvement_ci"]
    odds = f"P({a} > {b}) = {p:.2f} [{p_low:.2f}, {p_high:.2f}]"
    if pair["differ"]:
        higher, lower = (a, b) if d > 0 else (b, a)
        return f"{higher} is higher than {lower} on {metric} by {abs(d):.3g} [{min(abs(low), abs(high)):.3g}, {max(abs(low), abs(high)):.3g}]; {odds}"
    needed = pair["seeds_needed"]
    more = (
        f"about {needed:.0f} per arm would, at the spread measured" if math.isfinite(needed) else "no difference seen"
    )
    return f"{a} vs {b} on {metric}: these seeds cannot tell ({d:+.3g} [{low:.3g}, {high:.3g}]); {more}; {odds}"


def curves(
    per_point: dict[str, list[tuple[int, np.ndarray]]], seed: int = 0, reps: int = REPS
) -> dict[str, list[dict[str, Any]]]:
    """Per arm, at each scored point: agent steps and the IQM over runs with its 95% interval."""
    library, metrics = _rliable()
    out: dict[str, list[dict[str, Any]]] = {}
    for arm, points in per_point.items():
        out[arm] = []
        for steps, matrix in points:
            with seeded(seed):
                point, interval = library.get_interval_estimates({arm: matrix}, metrics.aggregate_iqm, reps=reps)
            low, high = np.ravel(interval[arm])
            out[arm].append(
                {"agent_steps": steps, "iqm": float(np.ravel(point[arm])[0]), "ci": [float(low), float(high)]}
            )
    return out


def profiles(scores: dict[str, np.ndarray], taus: int = 51, seed: int = 0, reps: int = REPS) -> dict[str, Any]:
    """Performance profiles: per arm, the share of runs x simulations scoring above each
    threshold tau (rliable), over the range the scores span."""
    library, _ = _rliable()
    everything = np.concatenate([m.ravel() for m in scores.values()])
    grid = np.linspace(float(everything.min()), float(everything.max()), taus)
    with seeded(seed):
        profile, profile_ci = library.create_performance_profile(scores, grid, reps=reps)
    return {
        "tau": grid.tolist(),
        "arms": {
            arm: {"share": np.asarray(profile[arm]).tolist(), "ci": np.asarray(profile_ci[arm]).tolist()}
            for arm in scores
        },
    }
