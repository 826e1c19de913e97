"""``metta-lit evaluate``: run policies on simulation suites and record every episode in DuckDB."""

from __future__ import annotations

import math

from rich.console import Console

from metta_lit.commands import wide_console
from metta_lit.core.errors import ConfigError
from metta_lit.evaluation.config import SimulationConfig, Split, load_simulations, plays
from metta_lit.evaluation.records import SimulationRecord
from metta_lit.evaluation.stats_db import EvalStatsDB


def evaluate(
    policy_uris: list[str],
    simulations: list[str],
    stats_db: str = "stats.duckdb",
    replay_dir: str | None = None,
    seed: int = 0,
    device: str = "cpu",
    workers: int = 0,
    ray_address: str | None = None,
    retries: int = 3,
    splits: list[str] = [],  # noqa: B006 (read, never mutated; the CLI shows it)
    episodes: int | None = None,
    console: Console | None = None,
) -> list[SimulationRecord]:
    """Run policies on simulation suites and record every episode in a DuckDB file.

    Args:
        policy_uris: policy URIs (file, directory, ':latest', 's3://...'), 'random' or 'scripted'
        simulations: suites or 'suite/name' (configs/sims), or a simulations YAML file of your own
        splits: cross-play: every ordered pair of the policies (self-play too) plays every simulation in
            each split ('1v3': the first policy has a quarter of the agents), on the same seeds
        episodes: play this many episodes of every simulation instead of each one's own count (a quick look)
        stats_db: DuckDB file the episodes are added to
        replay_dir: write one '<episode_id>.json.z' replay per episode here
        seed: seed of the maps and of the sampled actions
        device: where the policies run ('cpu', 'cuda')
        workers: spread the (policy, simulation, episode) jobs over this many worker processes (0: none)
        ray_address: run the jobs as tasks on this Ray cluster instead ('auto': the one this machine is in)
        retries: with workers or Ray, how often jobs whose worker died are run again
        console: where progress is printed (Python callers)
    """
    from metta_lit.checkpoints.uri import BUILTIN_URIS, resolve_policy_uri
    from metta_lit.env.vec_env import check_seed
    from metta_lit.evaluation.runner import (  # loads torch: not needed for --help
        PolicyHandle,
        evaluation_identity,
        name_records,
        run_simulation,
    )

    console = console or wide_console()
    check_seed(seed, "--seed")
    if workers < 0 or retries < 0:
        raise ConfigError(f"--workers and --retries: must be >= 0, got {workers} and {retries}")
    if episodes is not None and episodes < 1:
        raise ConfigError(f"--episodes: must be >= 1, got {episodes}")
    sims = load_simulations(simulations)
    if episodes is not None:
        sims = [sim.model_copy(update={"num_episodes": episodes}) for sim in sims]
    parsed = [Split.parse(split) for split in splits]  # a bad split fails before anything runs
    for sim in sims if parsed else ():
        agents = sim.env_config().game.num_agents
        for split in parsed:
            split.counts(agents, sim.full_name)
    db = EvalStatsDB(stats_db)
    db.check_writable()  # a bad database path fails before any episode runs
    # Each URI is resolved once (':latest', directories): the version reported is the file every
    # episode, and every worker, plays, even if a newer one lands meanwhile. Bad URIs fail here.
    resolved = [uri if uri in BUILTIN_URIS else resolve_policy_uri(uri) for uri in policy_uris]
    handles = {uri: PolicyHandle.from_uri(uri, device) for uri in resolved}
    if workers or ray_address:
        records = _evaluate_in_jobs(
            handles, sims, db, replay_dir, seed, device, workers, ray_address, retries, splits, console
        )
    else:
        records = []
        for handle, partner, split in plays(list(handles.values()), parsed):
            pairing = (f"crossplay {split.name} with {partner.uri}",) if split else ()
            for sim in sims:
                rec = run_simulation(handle, sim, seed, replay_dir, npc=partner, device=device, split=split)
                name_records(rec, evaluation_identity(handle, sim, seed, *pairing))  # a rerun writes the same rows
                _report(console, handle, partner, split and split.name, sim, rec)
                db.write([rec])  # one merge per simulation: finished work is kept if a later one fails
                records.append(rec)
    console.print(f"wrote {sum(len(r.episodes) for r in records)} episodes to {db.path}")
    return records


def _report(console: Console, handle, partner, split: str | None, sim: SimulationConfig, rec: SimulationRecord) -> None:
    """One line per (policy, simulation): whose mean reward per agent each number is."""
    head = f"{handle.label}" + (f" with {partner.label} ({split})" if split else "")
    own, others = rec.mean("reward", "policy"), rec.mean("reward", "others")
    if math.isnan(others):  # the policy played every agent
        rewards = f"{own:.3f}"
    else:
        whose = f"{partner.label}'s" if split else "the NPCs'"
        rewards = f"{handle.label}'s {own:.3f}, {whose} {others:.3f}"
    console.print(f"{head}  {sim.full_name}: {len(rec.episodes)} episodes, mean reward per agent {rewards}")


def _evaluate_in_jobs(handles, sims, db, replay_dir, seed, device, workers, ray_address, retries, splits, console):
    """One job per (policy, simulation, episode) on worker processes or Ray; each result is
    written as it arrives, and each (policy, simulation) is reported once all its episodes are in."""
    from metta_lit.evaluation.distributed import jobs_for, run_in_processes, run_on_ray

    jobs = jobs_for(list(handles), sims, seed, replay_dir, device, splits)
    merged: dict[tuple[str, str], SimulationRecord] = {}

    def on_result(job, record: SimulationRecord) -> None:
        db.write([record])
        if job.group in merged:
            merged[job.group].episodes.extend(record.episodes)
        else:
            merged[job.group] = record
        if len(merged[job.group].episodes) == job.sim.num_episodes:
            partner = handles[job.partner_uri] if job.partner_uri else None
            _report(console, handles[job.policy_uri], partner, job.split, job.sim, merged[job.group])

    if ray_address:
        run_on_ray(jobs, ray_address, on_result, retries)
    else:
        run_in_processes(jobs, workers, on_result, retries)
    return [merged[group] for group in dict.fromkeys(job.group for job in jobs)]
