"""An experiment's results: gathered from its runs' scores, aggregated (``aggregate``), and
reported as a terminal table with the verdicts, ``experiment.json`` (everything needed to redraw
them) and PNG plots (learning curves with bands, performance profiles)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from metta_lit.core.files import atomic_write, save_figure
from metta_lit.core.results import provenance
from metta_lit.experiments import aggregate
from metta_lit.experiments.config import ExperimentConfig
from metta_lit.experiments.runner import Run, strict
from metta_lit.runs import ExperimentDir

RESULTS = ExperimentDir.RESULTS


def score_matrices(config: ExperimentConfig, runs: list[Run], metric: str) -> dict[str, list[tuple[int, np.ndarray]]]:
    """Per arm and scored point (in order): agent steps and the [runs x simulations] scores of
    ``metric``; only runs scored at every point count (a failed run has no scores)."""
    out: dict[str, list[tuple[int, np.ndarray]]] = {}
    for arm in config.arm_list():
        scored = [run for run in runs if run.arm.name == arm.name and run.scores]
        if not scored:
            continue
        points = min(len(run.scores) for run in scored)  # an arm's runs save the same versions
        versions = [sorted(run.scores, key=int)[-points:] for run in scored]
        by_point = []
        for k in range(points):
            entries = [run.scores[run_versions[k]] for run, run_versions in zip(scored, versions, strict=True)]
            rows = [[entry["sims"][sim][metric] for sim in sim_columns(entry)] for entry in entries]
            by_point.append((max(int(e["agent_steps"]) for e in entries), np.array(rows, dtype=float)))
        out[arm.name] = by_point
    return out


def sim_columns(entry: dict[str, Any]) -> list[str]:
    """A scored point's simulations in the order of the score matrices' columns."""
    return sorted(entry["sims"])


def analyse(config: ExperimentConfig, runs: list[Run]) -> dict[str, Any]:
    """Every scored metric's aggregates, pairs, verdicts, curves and profiles (final point)."""
    metrics: dict[str, Any] = {}
    for metric in config.scoring.metrics:
        matrices = score_matrices(config, runs, metric)
        final = {arm: points[-1][1] for arm, points in matrices.items()}
        final = {arm: m for arm, m in final.items() if np.isfinite(m).all()}
        if not final:
            continue
        reps = config.scoring.reps
        pairs = aggregate.pairs(final, reps=reps)
        metrics[metric] = {
            "arms": aggregate.aggregates(final, reps=reps),
            "pairs": pairs,
            "verdicts": [aggregate.verdict(pair, metric) for pair in pairs],
            "curves": aggregate.curves(matrices, reps=reps),
            "profiles": aggregate.profiles(final, reps=reps),
        }
        if config.scoring.by_simulation:
            sims = sim_columns(next(entry for run in runs for entry in run.scores.values()))
            metrics[metric]["by_simulation"] = by_simulation(matrices, sims, metric, reps)
    return metrics


def by_simulation(
    matrices: dict[str, list[tuple[int, np.ndarray]]], sims: list[str], metric: str, reps: int
) -> dict[str, Any]:
    """Per arm, its simulations compared as arms are: each one's mean and IQM over the runs with
    intervals at the final point, a verdict per pair (``agents_8 is lower than agents_2 on
    ...``), and each one's learning curve."""
    out = {}
    for arm, points in matrices.items():
        final = points[-1][1]
        if not np.isfinite(final).all():
            continue
        columns = {sim: final[:, [j]] for j, sim in enumerate(sims)}
        pairs = aggregate.pairs(columns, reps=reps)
        along = {sim: [(steps, matrix[:, [j]]) for steps, matrix in points] for j, sim in enumerate(sims)}
        out[arm] = {
            "simulations": aggregate.aggregates(columns, reps=reps),
            "pairs": pairs,
            "verdicts": [aggregate.verdict(pair, metric) for pair in pairs],
            "curves": aggregate.curves(along, reps=reps),
        }
    return out


def write(config: ExperimentConfig, runs: list[Run], folder: Path, metrics: dict[str, Any]) -> dict[str, Any]:
    document = {  # a results file (core.results): the docs render their tables from it
        "provenance": provenance(threads=None),
        "results": {
            "config": config.model_dump(mode="json"),
            "runs": [
                {
                    "arm": r.arm.name,
                    "seed": r.seed,
                    "run": r.name,
                    "status": r.status,
                    "error": r.error,
                    "scores": r.scores,
                }
                for r in runs
            ],
            "metrics": metrics,
        },
    }
    atomic_write(str(folder / RESULTS), (json.dumps(strict(document), indent=1, allow_nan=False) + "\n").encode())
    for metric, result in metrics.items():
        plot_curves(result["curves"], metric, folder / f"curves_{safe(metric)}.png")
        plot_profiles(result["profiles"], metric, folder / f"profiles_{safe(metric)}.png")
        for arm, within in result.get("by_simulation", {}).items():  # one line per simulation
            plot_curves(within["curves"], f"{metric} ({arm})", folder / f"curves_{safe(metric)}_{safe(arm)}.png")
    return document


def safe(metric: str) -> str:
    """A metric's name as part of a file name: letters, digits and single underscores only
    (``coop/*/gini`` -> ``coop_gini``: no ``*`` for a shell to expand)."""
    return re.sub(r"[^A-Za-z0-9]+", "_", metric).strip("_")


def table(config: ExperimentConfig, runs: list[Run], metrics: dict[str, Any]) -> Table:
    first = config.scoring.metrics[0]
    table = Table(title=f"experiment {config.name}: {first} at {config.budget:,} agent steps (95% intervals)")
    for column in ("arm", "runs", "mean", "IQM", *config.scoring.metrics[1:]):
        table.add_column(column, justify="left" if column == "arm" else "right")
    for arm in config.arm_list():
        done = sum(r.arm.name == arm.name and r.status == "done" for r in runs)
        failed = sum(r.arm.name == arm.name and r.status == "failed" for r in runs)
        row = metrics.get(first, {}).get("arms", {}).get(arm.name)
        cells = [f"{done}" + (f" ({failed} failed)" if failed else "")]
        if row:
            cells += [
                f"{row['mean']:.3g} [{row['mean_ci'][0]:.3g}, {row['mean_ci'][1]:.3g}]",
                f"{row['iqm']:.3g} [{row['iqm_ci'][0]:.3g}, {row['iqm_ci'][1]:.3g}]",
            ]
        else:
            cells += ["-", "-"]
        for metric in config.scoring.metrics[1:]:
            other = metrics.get(metric, {}).get("arms", {}).get(arm.name)
            cells.append(
                f"{other['mean']:.3g} [{other['mean_ci'][0]:.3g}, {other['mean_ci'][1]:.3g}]" if other else "-"
            )
        table.add_row(arm.name, *cells)
    return table


def print_report(console: Console, config: ExperimentConfig, runs: list[Run], metrics: dict[str, Any]) -> None:
    console.print(table(config, runs, metrics))
    for metric in config.scoring.metrics:
        for line in metrics.get(metric, {}).get("verdicts", []):
            console.print(f"verdict: {line}")
        for arm, result in metrics.get(metric, {}).get("by_simulation", {}).items():
            for sim, row in result["simulations"].items():
                low, high = row["mean_ci"]
                console.print(f"{arm} on {sim}: {metric} {row['mean']:.3g} [{low:.3g}, {high:.3g}]")
            for line in result["verdicts"]:
                console.print(f"verdict ({arm}): {line}")
    for run in runs:
        if run.status == "failed":
            console.print(f"[red]failed[/red] {run.name}: {run.error}")


def plot_curves(curves: dict[str, list[dict[str, Any]]], metric: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")  # long metric names keep their label
    for arm, points in curves.items():
        steps = [p["agent_steps"] for p in points]
        ax.plot(steps, [p["iqm"] for p in points], marker="o", label=arm)
        ax.fill_between(steps, [p["ci"][0] for p in points], [p["ci"][1] for p in points], alpha=0.2)
    ax.set(xlabel="agent steps", ylabel="IQM over runs (95% interval)", title=f"{metric}: learning curves")
    ax.legend()
    save_figure(fig, str(path))
    plt.close(fig)


def plot_profiles(profiles: dict[str, Any], metric: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")  # long metric names keep their label
    for arm, profile in profiles["arms"].items():
        ax.plot(profiles["tau"], profile["share"], label=arm)
        low, high = profile["ci"]
        ax.fill_between(profiles["tau"], low, high, alpha=0.2)
    ax.set(xlabel=f"{metric} threshold", ylabel="share of runs above it", title="performance profiles")
    ax.legend()
    save_figure(fig, str(path))
    plt.close(fig)
