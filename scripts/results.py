#!/usr/bin/env python
"""Renders the docs' tables of measured results from the results files that measured them.

A docs page marks each generated table with an opening and a closing comment (a results file
of ``bench_results/`` or an experiment's ``experiment.json`` under ``results/``)::

    <!-- results: bench_results/env.json -->
    (generated: do not edit)
    <!-- /results -->

Everything between them is rewritten from the named results file (written by a
``scripts/bench_*.py`` or ``scripts/verify_replays.py`` run through
``metta_lit.core.results``), by the renderer named after the file: the table, then one line
saying when, where and how it was measured. Numbers measured several times show the median
with the min-max range of the runs.

    python scripts/results.py            # rewrite the docs' tables
    python scripts/results.py --check    # exit 1, with a diff, where a table differs from its file
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from metta_lit.core.results import read_results

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(<!-- results: (?P<file>[\w./=-]+) -->\n)(?P<body>.*?)(<!-- /results -->)", re.DOTALL)


def number(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def measured(spread: dict[str, float], digits: int = 0, unit: str = "") -> str:
    """``median (min-max)``; just the value when it was measured once."""
    if spread["runs"] == 1:
        return f"{number(spread['median'], digits)}{unit}"
    low, high = number(spread["min"], digits), number(spread["max"], digits)
    return f"{number(spread['median'], digits)}{unit} ({low}-{high})"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def runs_of(results: Any) -> int:
    """How many runs a file's spreads hold (the first found; every spread of a file has as many)."""
    if isinstance(results, dict):
        if "runs" in results and "median" in results:
            return int(results["runs"])
        for value in results.values():
            found = runs_of(value)
            if found:
                return found
    return 0


def provenance_line(document: dict[str, Any]) -> str:
    p, runs = document["provenance"], runs_of(document["results"])
    threads = f", {p['threads']} torch threads" if p.get("threads") else ""
    spread = f"; median (min-max) of {runs} runs" if runs > 1 else ""
    return (
        f"*Measured {p['date']} on {p['cpu']} ({p['cores']} cores{threads}), commit `{p['commit']}`{spread}:"
        f" `{p['command']}`*"
    )


def render_env(r: dict[str, Any]) -> str:
    rows = [
        [
            f"{name} ({r['envs_per_call'][name]} envs per call)",
            measured(r[name]["threads_1"]),
            measured(r[name]["threads_2"]),
            measured(r[name]["speedup_2_threads"], 2, "×"),
        ]
        for name in ("perf", "arena")
    ]
    if "mettagrid" in r:
        rows.append(["PyPI `mettagrid`, perf config", measured(r["mettagrid"]["threads_1"]), "-", "-"])
    steps = table(["config", "1 thread", "2 threads", "speedup"], rows)
    if "occupancy" in r:  # results files written before agent slots have no such table
        o = r["occupancy"]
        steps += "\n\n" + table(
            ["perf config, 20 agent slots, 1 thread", "agent-steps/s of those playing", "env steps/s vs all 20"],
            [
                ["20 of 20 agents playing", measured(o["full"]), "1.00×"],
                ["10 of 20 agents playing", measured(o["half"]), measured(o["half_vs_full_env_steps"], 2, "×")],
            ],
        )
    base = r["interfaces"]["numpy vec env (zero copy)"]["median"]
    interfaces = table(
        ["interface (one arena env, 1 thread)", "agent-steps/s", "vs numpy"],
        [[name, measured(s), f"{s['median'] / base:.2f}×"] for name, s in r["interfaces"].items()],
    )
    return f"{steps}\n\n{interfaces}"


def render_train(r: dict[str, Any]) -> str:
    fast = r["fast_path"]
    path = f"autocast `{fast['autocast']}`, compile `{fast['compile']}`" + (
        f", `{' '.join(fast['overrides'])}`" if fast["overrides"] else ""
    )
    return table(
        ["fast path", "plain fp32", "fast / plain", "raw PyTorch loop", "plain / raw"],
        [
            [
                measured(r["end_to_end_sps"]),
                measured(r["plain_sps"]),
                measured(r["speedup"], 2),
                measured(r["raw_loop_sps"]),
                measured(r["ratio"], 2),
            ]
        ],
    ) + (f"\n\nFast path here: {path}; {r['seconds']:.0f} s per measurement, first epoch excluded.")


def render_policies(r: dict[str, Any]) -> str:
    rows = [
        [f"`{name}`", number(a["params"]), measured(a["rollout_sps"]), measured(a["train_sps"])]
        for name, a in r["architectures"].items()
    ]
    return table(["architecture", "parameters", "rollout forward", "training end to end"], rows)


def render_eval(r: dict[str, Any]) -> str:
    e, p = r["evaluate"], r["replay"]
    rows = [
        [
            f"evaluate, {e['episodes']['median']:.0f} episodes",
            measured(e["episodes_per_s"], 2),
            measured(e["play_s"], 2, " s"),
            f"{measured(e['write_s'], 2, ' s')} ({number(e['metric_rows']['median'])} metric rows)",
        ],
        ["replay, 1 episode", measured(p["episodes_per_s"], 2), measured(p["seconds"], 2, " s"), "-"],
    ]
    return table(["what", "episodes/s", "playing", "writing the stats DB"], rows)


def render_verify_replays(r: dict[str, Any]) -> str:
    rows = [
        [
            f"`{row['env']}`",
            f"{row['identical']} / {row['episodes']}",
            str(row["steps"]),
            f"{row['seconds_to_verify']:.1f} s",
            row["first_difference"] or "-",
        ]
        for row in r["rows"]
    ]
    return table(["env", "identical", "steps", "verify time", "first difference"], rows)


def render_viewer(r: dict[str, Any]) -> str:
    """One column per episode length: opening, a frame in order and scrubbing, playback, a re-simulation."""
    episodes = r["episodes"]
    rows = [
        ["replay file", *(f"{e['replay_kb']:,} KB" for e in episodes)],
        ["open (fetch, parse, analysis, first frame)", *(f"{e['load_s']:.2f} s" for e in episodes)],
        ["a frame in order: mean / p99", *(f"{e['frame_ms_mean']:.1f} / {e['frame_ms_p99']:.1f} ms" for e in episodes)],
        [
            "scrubbing (random steps): mean / p99",
            *(f"{e['scrub_ms_mean']:.1f} / {e['scrub_ms_p99']:.1f} ms" for e in episodes),
        ],
        ["playback at 60 steps/s", *(f"{e['playback_fps']:.0f} fps" for e in episodes)],
        ["what agent 0 saw halfway (re-simulated)", *(f"{e['observation_s']:.2f} s" for e in episodes)],
    ]
    header = ["arena, 24 agents, overlays on", *(f"{e['steps']:,} steps" for e in episodes)]
    load = f"Load average while measuring: {r['load_average_1min']:.1f} (2 cores)."
    return table(header, rows) + "\n\n" + load


def render_experiment(r: dict[str, Any]) -> str:
    """Per metric: each arm's runs, mean and IQM with their 95% intervals; then the verdicts."""
    config, parts = r["config"], []
    for metric, result in r["metrics"].items():
        rows = [
            [
                f"`{arm}`",
                str(a["runs"]),
                f"{a['mean']:.3g} [{a['mean_ci'][0]:.3g}, {a['mean_ci'][1]:.3g}]",
                f"{a['iqm']:.3g} [{a['iqm_ci'][0]:.3g}, {a['iqm_ci'][1]:.3g}]",
            ]
            for arm, a in result["arms"].items()
        ]
        at = f"{metric} at {config['budget']:,} agent steps"
        parts.append(table([at, "runs", "mean [95% CI]", "IQM [95% CI]"], rows))
        if result["verdicts"]:
            parts.append("\n".join(f"- {line}" for line in result["verdicts"]))
        for arm, within in result.get("by_simulation", {}).items():  # the simulations of one arm compared
            sims = [
                [f"`{sim}`", f"{s['mean']:.3g} [{s['mean_ci'][0]:.3g}, {s['mean_ci'][1]:.3g}]"]
                for sim, s in within["simulations"].items()
            ]
            parts.append(table([f"`{arm}`: {metric} by simulation", "mean over runs [95% CI]"], sims))
            parts.append("\n".join(f"- {line}" for line in within["verdicts"]))
    failed = [run["run"] for run in r["runs"] if run["status"] != "done"]
    if failed:
        parts.append(f"Not scored: {', '.join(failed)}.")
    return "\n\n".join(parts)


RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "experiment": render_experiment,
    "env": render_env,
    "train": render_train,
    "policies": render_policies,
    "eval": render_eval,
    "verify_replays": render_verify_replays,
    "viewer": render_viewer,
}


def render_block(root: Path, file: str) -> str:
    path = root / file
    renderer = RENDERERS.get(path.stem)
    if renderer is None:
        raise SystemExit(f"{file}: no renderer for results files named '{path.stem}' (known: {', '.join(RENDERERS)})")
    try:
        document = read_results(path)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{file}: {exc}") from None
    return f"{renderer(document['results'])}\n\n{provenance_line(document)}\n"


def render_page(text: str, root: Path) -> str:
    return BLOCK.sub(lambda m: m.group(1) + render_block(root, m.group("file")) + m.group(4), text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 where a table is stale")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (docs/ and the results files)")
    args = parser.parse_args()
    stale = []
    for page in sorted((args.root / "docs").glob("*.md")):
        text = page.read_text()
        rendered = render_page(text, args.root)
        if rendered == text:
            continue
        stale.append(page)
        if args.check:
            rel = page.relative_to(args.root)
            sys.stdout.writelines(
                difflib.unified_diff(text.splitlines(True), rendered.splitlines(True), f"{rel}", f"{rel} (rendered)")
            )
        else:
            page.write_text(rendered)
    if args.check and stale:
        print(f"\n{len(stale)} page(s) differ from their results files: run python scripts/results.py")
        sys.exit(1)
    for page in [] if args.check else stale:
        print(f"rewrote {page.relative_to(args.root)}")


if __name__ == "__main__":
    main()
