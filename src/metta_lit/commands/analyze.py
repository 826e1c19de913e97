"""``metta-lit analyze``: metric tables and a scorecard heatmap from an evaluation database."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from metta_lit.commands import wide_console
from metta_lit.core.errors import ConfigError
from metta_lit.core.files import save_figure
from metta_lit.evaluation.stats_db import EvalStatsDB


def analyze(
    stats_db: str,
    metrics: list[str] = ["reward", "heart.*"],  # noqa: B006 (read, never mutated; the CLI shows it)
    scorecard: str | None = "scorecard.png",
    scorecard_metric: str = "reward",
    crossplay: bool = False,
    crossplay_png: str | None = "crossplay.png",
    leaderboard: bool = False,
    replacement: str | None = None,
    console: Console | None = None,
) -> Table:
    """Metric tables and a scorecard heatmap from an evaluation database; or, from its cross-play
    episodes ('evaluate --splits'), the pairwise matrix or the leaderboard.

    Args:
        stats_db: the DuckDB file 'evaluate' wrote
        metrics: metric names or globs ('heart.*'); each row is a policy, simulation and metric
        scorecard: PNG heatmap of policies x simulations ('null' or an empty string: none)
        scorecard_metric: the metric the scorecard shows
        crossplay: print the cross-play matrix (row policy's mean reward per agent beside the column policy)
        crossplay_png: with --crossplay, draw the matrix to this PNG ('null': none)
        leaderboard: print the policies' ratings (Bradley-Terry, 95% intervals) and value over replacement
        replacement: the policy value over replacement is measured against ('key:vN'; default random:v0)
        console: where the table is printed (Python callers)
    """
    console = console or wide_console()
    db = EvalStatsDB(stats_db)
    if crossplay or leaderboard:
        tables = []
        if crossplay:
            tables.append(crossplay_table(db, crossplay_png, console))
        if leaderboard:
            tables.append(leaderboard_table(db, replacement))
        for table in tables:
            console.print(table)
        return tables[-1]
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


def crossplay_table(db: EvalStatsDB, png: str | None, console: Console) -> Table:
    from metta_lit.evaluation.ratings import crossplay_matrix, label, partner_effects

    sides = db.crossplay_sides()
    matrix = crossplay_matrix(sides)
    if not matrix:
        raise ConfigError(f"{db.path}: no cross-play episodes (evaluate with --splits writes them)")
    policies = sorted({p for pair in matrix for p in pair})
    table = Table(title="cross-play: row policy's mean reward per agent beside the column policy (n agent-episodes)")
    table.add_column("policy \\ partner")
    for policy in policies:
        table.add_column(label(policy), justify="right")
    for row in policies:
        cells = [matrix.get((row, col)) for col in policies]
        table.add_row(label(row), *("-" if c is None else f"{c[0]:.3f} ({c[1]})" for c in cells))
    effects = partner_effects(sides)
    if effects:
        paired = Table(
            title="partner effects: the policy's reward beside one partner minus beside another, paired by map"
        )
        for column in ("policy", "beside", "instead of", "difference [95% CI]", "maps"):
            paired.add_column(column, justify="right" if column in ("difference [95% CI]", "maps") else "left")
        for e in effects:
            difference = f"{e.difference:+.3f} [{e.low:+.3f}, {e.high:+.3f}]"
            paired.add_row(label(e.policy), label(e.partner), label(e.instead), difference, str(e.maps))
        console.print(paired)
    if png:
        values = [[matrix[r, c][0] if (r, c) in matrix else math.nan for c in policies] for r in policies]
        names = [short_label(label(p)) for p in policies]
        fig = heatmap(values, names, names, "cross-play: row's mean reward beside column", "reward")
        save_figure(fig, png, dpi=120)
        console.print(f"cross-play matrix written to {png}")
    return table


def leaderboard_table(db: EvalStatsDB, replacement: str | None) -> Table:
    """``replacement`` None: random:v0, whose absence leaves the values empty; a policy named
    that did not play is an error."""
    from metta_lit.evaluation.ratings import DEFAULT_REPLACEMENT, label, leaderboard, parse_label

    replaced = parse_label(replacement, "--replacement") if replacement is not None else None
    rows = leaderboard(db, replaced)
    if not rows:
        raise ConfigError(f"{db.path}: no cross-play meetings of two policies (evaluate with --splits writes them)")
    replacement = replacement if replacement is not None else label(DEFAULT_REPLACEMENT)
    table = Table(title=f"leaderboard: Bradley-Terry rating (Elo scale) and value over {replacement}")
    for column in ("#", "policy", "rating [95%]", "meetings", "wins", f"value over {replacement} [95%]", "reward"):
        table.add_column(column, justify="left" if column == "policy" else "right")
    for rank, row in enumerate(rows, 1):
        r, v = row.rating, row.vor
        table.add_row(
            str(rank),
            label(r.policy),
            f"{r.rating:.0f} [{r.low:.0f}, {r.high:.0f}]",
            str(r.meetings),
            f"{r.wins:g}",
            "-" if v is None else f"{v.value:+.3f} [{v.low:+.3f}, {v.high:+.3f}]",
            f"{row.crossplay_reward:.3f}",
        )
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
    policies = db.policies() if policies is None else policies
    sims = db.simulations() if sims is None else sims
    values = [[db.metric(p, s, metric).mean for s in sims] for p in policies]
    rows = [short_label(f"{k}:v{v}") for k, v in policies]
    return heatmap(values, rows, [short_label(s) for s in sims], f"scorecard: mean {metric} per agent", metric)


MISSING_COLOUR = "#d9d9d9"


def heatmap(values: list[list[float]], rows: list[str], cols: list[str], title: str, unit: str):
    """A labelled heatmap (NaN cells: missing, grey with '-'), sized to its labels; -> matplotlib Figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    # Inches: cells of 1.2 x 0.5, plus room for the longest row label, the tilted column
    # labels, the colorbar and the title (~0.09 inch per character at 9-10 pt).
    row_label = 0.09 * max(map(len, rows), default=4)
    col_label = 0.07 * max(map(len, cols), default=4)
    width = max(row_label + 1.2 * len(cols) + 1.6, 0.1 * len(title) + 1.0)
    height = 0.5 * len(rows) + col_label + 1.2
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    finite = [v for row in values for v in row if not math.isnan(v)] or [0.0]
    low, high = min(finite), max(finite)
    # A cell never measured is drawn as missing (light grey, '-'), not in the colour of the lowest score.
    cmap = plt.get_cmap("viridis").with_extremes(bad=MISSING_COLOUR)
    image = ax.imshow(np.ma.masked_invalid(np.asarray(values, dtype=float)), cmap=cmap, aspect="auto")
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
                color="black" if bright or math.isnan(v) else "white",
                fontsize=9,
            )
    fig.colorbar(image, ax=ax, label=unit)
    ax.set_title(title)
    return fig


def write_scorecard(db: EvalStatsDB, path: str, metric: str = "reward") -> None:
    save_figure(scorecard_figure(db, metric), path, dpi=120)
