#!/usr/bin/env python
"""A run's learning curve: means of its metrics over windows of agent steps.

Reads ``RUN_DIR/logs/metrics.csv`` with the same reader as the stable suite and the
dashboard (:class:`metta_lit.runs.History`): episode metrics are per-agent-episode means of
each window (updates weighted by the episodes they finished; a stat that did not occur
counts as 0), other metrics plain means of the rows that carry them.

    python scripts/learning_curve.py train_dir/my_run [--every 1e6] [--metrics episode/reward ...]
        [--json curve.json] [--png curve.png]

The JSON holds ``steps`` (each window's last agent step) and one list per metric (null for a
window without data).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from metta_lit.runs import History, HistoryError

# Shown when --metrics is not given: those of these the run logged (any recipe logs the reward;
# the arena's chain only where its items exist).
DEFAULT_METRICS = [
    "episode/reward",
    "env_agent/heart.gained",
    "env_agent/ore_red.gained",
    "env_agent/battery_red.gained",
]


def draw(curve: dict[str, list[float | None]], metrics: list[str], title: str, path: str) -> None:
    """One panel per metric against agent steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(metrics), 1, figsize=(7, 1.9 * len(metrics)), sharex=True, squeeze=False)
    steps = [s / 1e6 for s in curve["steps"]]
    for ax, metric in zip(axes[:, 0], metrics, strict=True):
        points = [(s, v) for s, v in zip(steps, curve[metric], strict=True) if v is not None]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=3)
        ax.set_ylabel(metric.split("/", 1)[-1], fontsize=8)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("agent steps (millions)")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", help="a run directory (or its logs/metrics.csv)")
    parser.add_argument("--every", type=float, default=1e6, help="window size in agent steps (default 1e6)")
    parser.add_argument("--metrics", nargs="+", help="metric names as logged (default: the reward and hearts)")
    parser.add_argument("--json", help="write the curve as JSON here")
    parser.add_argument("--png", help="draw the curve into this PNG")
    args = parser.parse_args(argv)
    if not args.every > 0:
        parser.error(f"--every must be > 0 agent steps, got {args.every:g}")
    path = Path(args.run_dir)
    if not path.exists():
        parser.error(f"{path}: no such run directory or file")
    try:
        history = History.read(path)
    except HistoryError as e:
        parser.error(str(e))
    if not len(history):
        parser.error(f"{path}: no metrics logged yet (logs/metrics.csv is missing or empty)")
    if args.metrics is None:
        args.metrics = [m for m in DEFAULT_METRICS if m in history.columns]
    unknown = [m for m in args.metrics if m not in history.columns]
    if unknown or not args.metrics:
        known = ", ".join(sorted(history.metrics())[:12])
        parser.error(f"not logged by this run: {', '.join(unknown or DEFAULT_METRICS)} (some that are: {known} ...)")
    curve = history.window_means(args.metrics, args.every)
    last = max(history.steps())

    table = Table(title=f"{path} - means per {args.every:,.0f} agent steps")
    table.add_column("agent steps", justify="right")
    for metric in args.metrics:
        table.add_column(metric, justify="right")
    for k, end in enumerate(curve["steps"]):
        cells = [curve[m][k] for m in args.metrics]
        # The last window ends where the run stopped: say so when that is short of a whole one.
        span = (
            f"{end - args.every:,.0f}-{end:,.0f}" if end <= last else f"{end - args.every:,.0f}-{last:,.0f} (partial)"
        )
        table.add_row(span, *("-" if v is None else f"{v:.3f}" for v in cells))
    Console(width=40 + sum(len(m) + 3 for m in args.metrics)).print(table)
    if args.json:
        Path(args.json).write_text(json.dumps({"run": str(path), "every": args.every, **curve}, indent=1))
        print(f"wrote {args.json}")
    if args.png:
        draw(curve, args.metrics, f"{path.name}: means per {args.every:,.0f} agent steps", args.png)
        print(f"wrote {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
