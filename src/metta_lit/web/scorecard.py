"""What the web app shows of a stats DB: the dashboard's scorecard (a metric's mean per policy ×
simulation) and the leaderboard page's ratings.

Each answer carries the database file's version (modification time and size), so the page
can poll cheaply and redraw only when an evaluation has landed.
"""

from __future__ import annotations

import math
import os
from typing import Any

from metta_lit.evaluation.stats_db import EvalStatsDB


def db_version(path: str) -> str | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return f"{stat.st_mtime_ns}-{stat.st_size}"


def scorecard(path: str, metric: str = "reward") -> dict[str, Any]:
    """``{version, metric, metrics, policies, simulations, values[policy][simulation], samples}``;
    a cell the policy was never evaluated in is null."""
    version = db_version(path)
    if version is None:
        return {"version": None, "metric": metric, "metrics": [], "policies": [], "simulations": [], "values": []}
    db = EvalStatsDB(path)
    policies, sims = db.policies(), db.simulations()
    values, samples = [], []
    for policy in policies:
        summaries = [db.metric(policy, sim, metric) for sim in sims]
        values.append([s.mean if math.isfinite(s.mean) else None for s in summaries])  # JSON has no NaN
        samples.append([s.samples for s in summaries])
    return {
        "version": version,
        "metric": metric,
        "metrics": db.metrics(),
        "policies": [f"{key}:v{version_}" for key, version_ in policies],
        "simulations": sims,
        "values": values,
        "samples": samples,
    }


def leaderboard_rows(path: str, replacement: str | None = None) -> dict[str, Any]:
    """``{version, replacement, rows: [{policy, rating, low, high, meetings, wins, vor...}]}``,
    best rating first; no rows before the first cross-play evaluation."""
    from metta_lit.evaluation.ratings import DEFAULT_REPLACEMENT, label, leaderboard, parse_label

    replaced = parse_label(replacement, "replacement") if replacement is not None else None
    replacement = replacement if replacement is not None else label(DEFAULT_REPLACEMENT)
    version = db_version(path)
    if version is None:
        return {"version": None, "replacement": replacement, "rows": []}
    rows = []
    for row in leaderboard(EvalStatsDB(path), replaced):
        r, v = row.rating, row.vor
        rows.append(
            {
                "policy": label(r.policy),
                "rating": r.rating,
                "low": r.low,
                "high": r.high,
                "meetings": r.meetings,
                "wins": r.wins,
                "vor": None if v is None else v.value,
                "vor_low": None if v is None or not math.isfinite(v.low) else v.low,
                "vor_high": None if v is None or not math.isfinite(v.high) else v.high,
                "reward": row.crossplay_reward,
            }
        )
    return {"version": version, "replacement": replacement, "rows": rows}
