#!/usr/bin/env python
"""Evaluation and replay throughput: what ``metta-lit evaluate`` and ``metta-lit replay`` cost.

- evaluate: ``--episodes`` arena episodes of a random policy written to a fresh DuckDB file,
  split into playing the episodes and writing their rows (the stats DB's share);
- replay: one full arena episode recorded and written as a replay file.

    python scripts/bench_eval.py [--episodes 8] [--runs 3] [--json bench_results/eval.json]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from metta_lit.commands.replay import replay
from metta_lit.core.results import spread, write_results
from metta_lit.evaluation.config import SimulationConfig
from metta_lit.evaluation.runner import PolicyHandle, run_simulation
from metta_lit.evaluation.stats_db import EvalStatsDB

ENV = "arena_easy"


def bench_evaluate(episodes: int, seed: int) -> dict[str, float]:
    sim = SimulationConfig(suite="bench", name="arena", env=ENV, num_episodes=episodes)
    handle = PolicyHandle.from_uri("random")
    start = time.perf_counter()
    record = run_simulation(handle, sim, seed=seed)
    played = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        EvalStatsDB(f"{tmp}/stats.duckdb").write([record])
    written = time.perf_counter()
    rows = sum(len(m) for e in record.episodes for m in e.agent_metrics)
    return {
        "episodes": episodes,
        "play_s": played - start,
        "write_s": written - played,
        "episodes_per_s": episodes / (written - start),
        "metric_rows": rows,
    }


def bench_replay() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        url = replay(ENV, "random", tmp)
        seconds = time.perf_counter() - start
        size = Path(url.removeprefix("file://")).stat().st_size
    return {"seconds": seconds, "episodes_per_s": 1 / seconds, "bytes": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=8, help="arena episodes the evaluation plays")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3, help="repetitions of every measurement (min/median/max)")
    parser.add_argument("--json", type=Path, default=None, help="write a results file here")
    args = parser.parse_args()
    if args.episodes < 1 or args.runs < 1:
        parser.error("--episodes and --runs must be >= 1")
    samples = [(bench_evaluate(args.episodes, args.seed), bench_replay()) for _ in range(args.runs)]
    # Each field's min/median/max over the runs (counts such as rows and bytes do not vary).
    evaluation = {key: spread([e[key] for e, _ in samples]) for key in samples[0][0]}
    recorded = {key: spread([r[key] for _, r in samples]) for key in samples[0][1]}
    table = Table(title=f"Evaluation and replay on the {ENV} env (24 agents, 1000 steps), random policy")
    for col in ("what", "episodes/s", "seconds", "of which writing rows"):
        table.add_column(col, justify="right")
    total = evaluation["play_s"]["median"] + evaluation["write_s"]["median"]
    table.add_row(
        f"evaluate, {args.episodes} episodes",
        f"{evaluation['episodes_per_s']['median']:.2f}",
        f"{total:.1f}",
        f"{evaluation['write_s']['median']:.2f} s ({evaluation['metric_rows']['median']:,.0f} metric rows)",
    )
    replay_row = (f"{recorded['episodes_per_s']['median']:.2f}", f"{recorded['seconds']['median']:.1f}", "-")
    table.add_row("replay, 1 episode", *replay_row)
    Console().print(table)
    if args.json:
        write_results(args.json, {"evaluate": evaluation, "replay": recorded}, threads=None)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
