"""``metta-lit analyze``: metric tables and a scorecard heatmap from an evaluation database."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from metta_lit.core.errors import ConfigError
from metta_lit.evaluation.stats_db import EvalStatsDB


def analyze(
    stats_db: str,
    metrics: list[str] = ["reward", "heart.*"],  # noqa: B006 (read, never mutated; the CLI shows it)
    scorecard: str | None = "scorecard.png",
    scorecard_metric: str = "reward",
    console: Console | None = None,
) -> Table:
    """Metric tables and a scorecard heatmap from an evaluation database.

    Args:
        stats_db: the DuckDB file 'evaluate' wrote
        metrics: metric names or globs ('heart.*'); each row is a policy, simulation and metric
        scorecard: PNG heatmap of policies x simulations ('null' or an empty string: none)
        scorecard_metric: the metric the scorecard shows
        console: where the table is printed (Python callers)
    """
    console = console or Console()
    db = EvalStatsDB(stats_db)
    policies, sims = db.policies(), db.simulations()
    matches = {pattern: db.metrics(pattern) for pattern in metrics}
    unmatched = [pattern for pattern, found in matches.items() if not found]
    if unmatched:
        known = db.metrics()
        shown = ", ".join(known[:30]) + (f", ... ({len(known)} in all)" if len(known) > 30 else "")
        message = f"no metric matches {', '.join(map(repr, unmatched))}; the database has: {shown or 'no metrics'}"
        if len(unmatched) == len(metrics):
            raise ConfigError(f"{db.path}: {message}")
        console.print(f"[yellow]{message}[/yellow]")
    names = sorted({m for found in matches.values() for m in found})
    table = Table(title=f"{db.path}: mean / std / recorded of {', '.join(metrics)}")
    for col in ("policy", "simulation", "metric", "mean", "std", "n", "samples"):
        table.add_column(col, justify="right" if col in ("mean", "std", "n", "samples") else "left")
    for key, version in policies:
        for sim in sims:
            for metric in names:
                s = db.metric((key, version), sim, metric)
                if s.samples:
                    table.add_row(
                        f"{key}:v{version}", sim, metric, f"{s.mean:.4g}", f"{s.std:.4g}", str(s.count), str(s.samples)
                    )
    console.print(table)
    cooperation = Table(title="cooperation (coop/*): per-episode means")
    for col in ("policy", "simulation", "metric", "mean"):
        cooperation.add_column(col, justify="right" if col == "mean" else "left")
    for key, version in policies:
        for sim in sims:
            for metric, mean in db.episode_metric_means((key, version), sim).items():
                cooperation.add_row(f"{key}:v{version}", sim, metric, f"{mean:.4g}")
    if cooperation.rows:
        console.print(cooperation)
    if scorecard:
        write_scorecard(db, scorecard, scorecard_metric)
        console.print(f"scorecard ({scorecard_metric}) written to {scorecard}")
    return table


def short_label(text: str, width: int = 28) -> str:
    """Long policy/simulation names keep their start and end (where run names and versions
    differ) around an ellipsis, so the heatmap keeps its cells readable."""
    return text if len(text) <= width else text[: width // 2 - 1] + "…" + text[-(width - width // 2) :]


def scorecard_figure(
    db: EvalStatsDB,
    metric: str = "reward",
    policies: list[tuple[str, int]] | None = None,
    sims: list[str] | None = None,
):  # -> matplotlib Figure
    """Heatmap of the metric's mean: policies (rows) x simulations (columns), sized to its labels;
    all of the database's policies and simulations unless given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    policies = db.policies() if policies is None else policies
    sims = db.simulations() if sims is None else sims
    values = [[db.metric(p, s, metric).mean for s in sims] for p in policies]
    rows = [short_label(f"{k}:v{v}") for k, v in policies]
    cols = [short_label(s) for s in sims]
    # Inches: cells of 1.2 x 0.5, plus room for the longest row label, the tilted column
    # labels, the colorbar and the title (~0.09 inch per character at 9-10 pt).
    row_label = 0.09 * max(map(len, rows), default=4)
    col_label = 0.07 * max(map(len, cols), default=4)
    title = f"scorecard: mean {metric} per agent"
    width = max(row_label + 1.2 * len(cols) + 1.6, 0.1 * len(title) + 1.0)
    height = 0.5 * len(rows) + col_label + 1.2
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    finite = [v for row in values for v in row if not math.isnan(v)] or [0.0]
    low, high = min(finite), max(finite)
    image = ax.imshow([[v if not math.isnan(v) else low for v in row] for row in values], cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            bright = not math.isnan(v) and high > low and (v - low) / (high - low) > 0.6
            ax.text(
                j,
                i,
                "-" if math.isnan(v) else f"{v:.2f}",
                ha="center",
                va="center",
                color="black" if bright else "white",
                fontsize=9,
            )
    fig.colorbar(image, ax=ax, label=metric)
    ax.set_title(title)
    return fig


def write_scorecard(db: EvalStatsDB, path: str, metric: str = "reward") -> None:
    import matplotlib.pyplot as plt

    fig = scorecard_figure(db, metric)
    fig.savefig(path, dpi=120)
    plt.close(fig)
