"""Evaluation spread over worker processes (``concurrent.futures``) or a Ray cluster.

An evaluation becomes one job per (policy, simulation, episode). A worker runs its job's one
episode and returns the record; the driver alone writes to the stats DB (so workers on other
machines need no access to it). Each job's records get ids derived from what the job plays
(policy file, simulation config, seed, episode), so neither an attempt retried after its
worker died nor a rerun of a killed evaluation can be stored twice: their rows are the same
rows, and ``INSERT OR IGNORE`` keeps one copy. Workers die with the driver (see
:mod:`metta_lit.core.processes`), so a killed evaluation leaves no process behind. Dead workers are the engines' business: Ray retries the task (``max_retries``); a
broken process pool is rebuilt and the jobs without a result are submitted again.
"""

from __future__ import annotations

import functools
import multiprocessing
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from metta_lit.core.errors import MettaLitError
from metta_lit.core.processes import die_with_parent
from metta_lit.evaluation.config import SimulationConfig, Split, plays
from metta_lit.evaluation.records import SimulationRecord


@dataclass(frozen=True)
class EvalJob:
    """One episode of ``sim`` played by ``policy_uri``, the ``episode``-th of its simulation;
    in cross-play, beside ``partner_uri`` as ``split`` says."""

    policy_uri: str
    sim: SimulationConfig
    episode: int
    seed: int
    replay_dir: str | None = None
    device: str = "cpu"
    partner_uri: str | None = None
    split: str | None = None

    @property
    def pairing(self) -> str:
        return f" with {self.partner_uri} {self.split}" if self.split else ""

    @property
    def group(self) -> tuple[str, str]:
        """The (policies, simulation) whose episodes this job is one of."""
        return self.policy_uri + self.pairing, self.sim.full_name

    @property
    def key(self) -> str:
        return f"{self.policy_uri}{self.pairing}|{self.sim.full_name}|{self.episode}"

    @property
    def identity(self) -> str:
        """What the job plays; its records' ids derive from it (the episode count and time
        limit are left out: episode k is the same episode in a longer evaluation)."""
        sim = self.sim.model_copy(update={"num_episodes": 1, "max_time_s": 0})
        return f"{self.policy_uri}|{sim.model_dump_json()}|{self.seed}|job episode {self.episode}{self.pairing}"


def jobs_for(
    policy_uris: list[str],
    sims: list[SimulationConfig],
    seed: int,
    replay_dir: str | None,
    device: str,
    splits: list[str] = [],  # noqa: B006 (never mutated)
) -> list[EvalJob]:
    """One job per episode of every (policy, simulation); with ``splits``, of every ordered
    pair of policies (self-play included) in every split."""
    return [
        EvalJob(uri, sim, episode, seed, replay_dir, device, partner, split)
        for uri, partner, split in plays(policy_uris, splits)
        for sim in sims
        for episode in range(sim.num_episodes)
    ]


@functools.lru_cache(maxsize=8)
def _policy(uri: str, device: str):  # -> PolicyHandle, loaded once per worker process
    from metta_lit.evaluation.runner import PolicyHandle

    return PolicyHandle.from_uri(uri, device)


def _init_worker() -> None:
    from metta_lit.core.threads import configure_threads

    die_with_parent()
    configure_threads(torch_threads=1)  # one core per worker, fixed: the workers are the parallelism


def run_job(job: EvalJob) -> SimulationRecord:
    """Plays the job's episode (seed ``seed + episode``) and names its records after the job."""
    from metta_lit.evaluation.runner import name_records, run_simulation

    sim = job.sim.model_copy(update={"num_episodes": 1})
    record = run_simulation(
        _policy(job.policy_uri, job.device),
        sim,
        job.seed + job.episode,
        job.replay_dir,
        npc=_policy(job.partner_uri, job.device) if job.partner_uri else None,
        device=job.device,
        split=Split.parse(job.split) if job.split else None,
    )
    name_records(record, job.identity)
    for episode in record.episodes:
        episode.attributes["eval_job"] = job.key
    return record


OnResult = Callable[[EvalJob, SimulationRecord], None]


def run_in_processes(jobs: Iterable[EvalJob], workers: int, on_result: OnResult, retries: int = 3) -> None:
    """Runs the jobs on ``workers`` local processes; when a worker dies the pool is rebuilt and
    the jobs without a result run again, at most ``retries`` times in all."""
    pending = {job.key: job for job in jobs}
    restarts = 0
    context = multiprocessing.get_context("spawn")  # no forked copies of the driver's torch threads
    while pending:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker) as pool:
            futures: dict[Future, EvalJob] = {pool.submit(run_job, job): job for job in pending.values()}
            broken = False
            while futures and not broken:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in done:
                    job = futures.pop(future)
                    try:
                        record = future.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    on_result(job, record)
                    del pending[job.key]
        if broken:
            restarts += 1
            if restarts > retries:
                raise MettaLitError(f"evaluate: workers died {restarts} times; {len(pending)} jobs left undone")
            print(f"[metta-lit] a worker died; running its {len(pending)} unfinished jobs again", flush=True)


def connect_ray(ray: Any, address: str | None) -> None:
    """Joins the Ray cluster at ``address`` (None: starts one for this process). A cluster on
    loopback (one machine): this driver's node is loopback too, where Ray would otherwise
    announce the machine's network address."""
    host = address.rsplit(":", 1)[0] if address else ""
    local = {"_node_ip_address": "127.0.0.1"} if host in ("127.0.0.1", "localhost") else {}
    ray.init(address=address, log_to_driver=False, ignore_reinit_error=True, **local)


def run_on_ray(jobs: Iterable[EvalJob], address: str, on_result: OnResult, retries: int = 3) -> None:
    """Runs the jobs as Ray tasks on the cluster at ``address`` (``auto``: the one this machine
    belongs to); Ray reruns a task whose worker died, up to ``retries`` times."""
    try:
        import ray
    except ImportError:
        raise MettaLitError("evaluate --ray_address: Ray is not installed (pip install 'metta-lit[ray]')") from None
    connect_ray(ray, address)
    try:
        task = ray.remote(num_cpus=1, max_retries=retries)(_ray_job)
        refs = {task.remote(job): job for job in jobs}
        while refs:
            done, _ = ray.wait(list(refs), num_returns=1)
            for ref in done:
                on_result(refs.pop(ref), ray.get(ref))
    finally:
        ray.shutdown()


def _ray_job(job: EvalJob) -> SimulationRecord:
    _init_worker()
    return run_job(job)
