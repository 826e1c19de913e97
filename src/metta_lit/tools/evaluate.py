"""``metta-lit evaluate``: run policies on simulation suites and record every episode in DuckDB."""

from __future__ import annotations

from rich.console import Console

from metta_lit.sim.config import load_simulations
from metta_lit.sim.stats_db import EvalStatsDB, SimulationRecord


def evaluate(
    policy_uris: list[str],
    simulations: list[str],
    stats_db: str = "stats.duckdb",
    replay_dir: str | None = None,
    seed: int = 0,
    device: str = "cpu",
    console: Console | None = None,
) -> list[SimulationRecord]:
    """Run policies on simulation suites and record every episode in a DuckDB file.

    Args:
        policy_uris: policy URIs (file, directory, ':latest', 's3://...') or 'random'
        simulations: suites or 'suite/name', from 'configs/sims'
        stats_db: DuckDB file the episodes are added to
        replay_dir: write one '<episode_id>.json.z' replay per episode here
        seed: seed of the maps and of the sampled actions
        device: where the policies run ('cpu', 'cuda')
        console: where progress is printed (Python callers)
    """
    from metta_lit.sim.runner import PolicyHandle, run_simulation  # loads torch: not needed for --help

    console = console or Console()
    sims = load_simulations(simulations)
    db = EvalStatsDB(stats_db)
    db.check_writable()  # a bad database path fails before any episode runs
    records: list[SimulationRecord] = []
    for uri in policy_uris:
        handle = PolicyHandle.from_uri(uri, device)
        for sim in sims:
            rec = run_simulation(handle, sim, seed=seed, replay_dir=replay_dir, device=device)
            console.print(
                f"{handle.key}:v{handle.version}  {sim.full_name}: {len(rec.episodes)} episodes, "
                f"mean reward {rec.mean('reward'):.3f}"
            )
            db.write([rec])  # one merge per simulation: finished work is kept if a later one fails
            records.append(rec)
    console.print(f"wrote {sum(len(r.episodes) for r in records)} episodes to {db.path}")
    return records
