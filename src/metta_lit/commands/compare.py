"""``metta-lit compare``: is policy A better than policy B? Paired episodes, a bootstrap
interval and a verdict per simulation."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from metta_lit.commands import wide_console
from metta_lit.core.errors import ConfigError


def compare(
    policy_a: str,
    policy_b: str,
    simulations: list[str] = ["arena"],  # noqa: B006 (read, never mutated; the CLI shows it)
    episodes: int | None = None,
    seed: int = 0,
    device: str = "cpu",
    stats_db: str | None = None,
    console: Console | None = None,
) -> list:  # -> list[Comparison]
    """Play A and B on identical seeds and report, per simulation, the mean difference in reward
    per agent with a bootstrap 95% interval, a verdict, and the episodes that would resolve it.
    The same policies, simulations, seed and episodes give the same numbers.

    Args:
        policy_a: policy URI, 'random' or 'scripted'
        policy_b: policy URI, 'random' or 'scripted'
        simulations: suites or 'suite/name' (configs/sims), or a simulations YAML file of your own
        episodes: episodes per simulation (default: each simulation's own num_episodes)
        seed: seed of the maps and of the sampled actions
        device: where the policies run ('cpu', 'cuda')
        stats_db: also record every episode in this DuckDB file
        console: where the table is printed (Python callers)
    """
    from metta_lit.checkpoints.uri import BUILTIN_URIS, resolve_policy_uri
    from metta_lit.env.vec_env import check_seed
    from metta_lit.evaluation.compare import compare_on  # loads torch: not needed for --help
    from metta_lit.evaluation.config import load_simulations
    from metta_lit.evaluation.runner import PolicyHandle, evaluation_identity, name_records
    from metta_lit.evaluation.stats_db import EvalStatsDB

    console = console or wide_console()
    check_seed(seed, "--seed")
    if episodes is not None and episodes < 2:
        raise ConfigError(f"--episodes: a paired comparison needs at least 2, got {episodes}")
    sims = load_simulations(simulations)
    if episodes is not None:
        sims = [s.model_copy(update={"num_episodes": episodes}) for s in sims]
    db = EvalStatsDB(stats_db) if stats_db else None
    if db:
        db.check_writable()
    a, b = (
        PolicyHandle.from_uri(u if u in BUILTIN_URIS else resolve_policy_uri(u), device) for u in (policy_a, policy_b)
    )
    table = Table(title=f"A = {a.label} ({policy_a}), B = {b.label} ({policy_b}), seed {seed}")
    for column in ("simulation", "N", "A", "B", "A - B [95% CI]", "verdict", "N to resolve"):
        table.add_column(column, justify="left" if column in ("simulation", "verdict") else "right")
    results = []
    for sim in sims:
        result, records = compare_on(a, b, sim, seed, device)
        if db:
            for handle, record in zip((a, b), records, strict=True):
                db.write([name_records(record, evaluation_identity(handle, sim, seed))])
        results.append(result)
        needed = "-" if math.isinf(result.needed) else str(int(result.needed))
        table.add_row(
            sim.full_name,
            str(result.episodes),
            f"{result.mean_a:.3f}",
            f"{result.mean_b:.3f}",
            f"{result.difference:+.3f} [{result.low:+.3f}, {result.high:+.3f}]",
            result.verdict,
            needed,
        )
    console.print(table)
    return results


compare.positional = True  # `metta-lit compare A B --simulations ...`
compare.aliases = {"simulations": ("--sims",)}  # its spelling before the commands shared one
