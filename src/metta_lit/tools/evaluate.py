"""``metta-lit evaluate``: run policies on simulation suites and record every episode in DuckDB."""

from __future__ import annotations

import argparse

from rich.console import Console

from metta_lit.sim.config import load_simulations
from metta_lit.sim.runner import PolicyHandle, run_simulation
from metta_lit.sim.stats_db import EvalStatsDB, SimulationRecord


def evaluate(
    policy_uris: list[str],
    simulations: list[str],
    stats_db: str,
    replay_dir: str | None = None,
    seed: int = 0,
    device: str = "cpu",
    console: Console | None = None,
) -> list[SimulationRecord]:
    console = console or Console()
    sims = load_simulations(simulations)
    db = EvalStatsDB(stats_db)
    db.check_writable()  # a bad database path fails before any episode runs
    records: list[SimulationRecord] = []
    for uri in policy_uris:
        handle = PolicyHandle.from_uri(uri, device)
        for sim in sims:
            rec = run_simulation(handle, sim, seed=seed, replay_dir=replay_dir)
            console.print(
                f"{handle.key}:v{handle.version}  {sim.full_name}: {len(rec.episodes)} episodes, "
                f"mean reward {rec.mean('reward'):.3f}"
            )
            db.write([rec])  # one merge per simulation: finished work is kept if a later one fails
            records.append(rec)
    console.print(f"wrote {sum(len(r.episodes) for r in records)} episodes to {db.path}")
    return records


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="metta-lit evaluate", description=__doc__)
    p.add_argument(
        "--policy_uris", nargs="+", required=True, help="policy URIs (file, dir, :latest, s3://...) or 'random'"
    )
    p.add_argument("--simulations", nargs="+", required=True, help="suites or suite/name, from configs/sims")
    p.add_argument("--stats_db", default="stats.duckdb", help="DuckDB file to add the episodes to")
    p.add_argument("--replay_dir", default=None, help="write one <episode_id>.json.z replay per episode here")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    a = p.parse_args(argv)
    evaluate(a.policy_uris, a.simulations, a.stats_db, a.replay_dir, a.seed, a.device)
