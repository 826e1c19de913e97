"""``metta-lit analyze``: metric tables and a scorecard heatmap from an evaluation database."""

from __future__ import annotations

import argparse
import math

from rich.console import Console
from rich.table import Table

from metta_lit.sim.stats_db import EvalStatsDB


def analyze(stats_db: str, metrics: list[str], scorecard: str | None = "scorecard.png",
            scorecard_metric: str = "reward", console: Console | None = None) -> Table:  # fmt: skip
    console = console or Console()
    db = EvalStatsDB(stats_db)
    policies, sims = db.policies(), db.simulations()
    names = sorted({m for pattern in metrics for m in db.metrics(pattern)})
    table = Table(title=f"{db.path}: mean / std / recorded of {', '.join(metrics)}")
    for col in ("policy", "simulation", "metric", "mean", "std", "n", "samples"):
        table.add_column(col, justify="right" if col in ("mean", "std", "n", "samples") else "left")
    for key, version in policies:
        for sim in sims:
            for metric in names:
                s = db.metric((key, version), sim, metric)
                if s.samples:
                    table.add_row(f"{key}:v{version}", sim, metric, f"{s.mean:.4g}", f"{s.std:.4g}", str(s.count), str(s.samples))
    console.print(table)
    if scorecard:
        write_scorecard(db, scorecard, scorecard_metric)
        console.print(f"scorecard ({scorecard_metric}) written to {scorecard}")
    return table


def write_scorecard(db: EvalStatsDB, path: str, metric: str = "reward") -> None:
    """Heatmap PNG: policies (rows) x simulations (columns) of the metric's mean."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    policies, sims = db.policies(), db.simulations()
    values = [[db.metric(p, s, metric).mean for s in sims] for p in policies]
    fig, ax = plt.subplots(figsize=(1.6 + 1.4 * len(sims), 1.2 + 0.5 * len(policies)))
    finite = [v for row in values for v in row if not math.isnan(v)] or [0.0]
    low, high = min(finite), max(finite)
    image = ax.imshow([[v if not math.isnan(v) else low for v in row] for row in values], cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(sims)), sims, rotation=30, ha="right")
    ax.set_yticks(range(len(policies)), [f"{k}:v{v}" for k, v in policies])
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            bright = not math.isnan(v) and high > low and (v - low) / (high - low) > 0.6
            ax.text(j, i, "-" if math.isnan(v) else f"{v:.2f}", ha="center", va="center",
                    color="black" if bright else "white", fontsize=9)  # fmt: skip
    fig.colorbar(image, ax=ax, label=metric)
    ax.set_title(f"scorecard: mean {metric} per agent")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="metta-lit analyze", description=__doc__)
    p.add_argument("--stats_db", required=True)
    p.add_argument("--metrics", nargs="+", default=["reward", "heart.*"], help="metric names or globs")
    p.add_argument("--scorecard", default="scorecard.png", help="PNG heatmap path ('' to skip)")
    p.add_argument("--scorecard_metric", default="reward")
    a = p.parse_args(argv)
    analyze(a.stats_db, a.metrics, a.scorecard or None, a.scorecard_metric)
