"""Validation suites: ``metta-lit`` commands run as jobs, each with a timeout and, for the
stable suite, acceptance criteria written as data (metric, operator, threshold, budget).

A job runs in its own process (a crash or hang fails that job, not the suite). Criteria
read the run's ``logs/metrics.csv``: the mean of a metric over the rows of the last
``window`` agent steps, so one noisy epoch does not decide a release.
"""

from __future__ import annotations

import json
import math
import operator
import os
import subprocess
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

from rich.console import Console
from rich.table import Table

from metta_lit.core.errors import ConfigError
from metta_lit.core.processes import metta_lit_command
from metta_lit.core.results import read_results
from metta_lit.runs import ExperimentDir, History

OPERATORS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


@dataclass(frozen=True)
class Baseline:
    """A reference measured when a job is judged, never typed in: ``policy`` playing
    ``simulation`` (``suite/name``) for ``episodes`` episodes at ``seed`` (the episodes the
    run's evaluator plays), its mean reward per agent-episode."""

    simulation: str
    episodes: int
    seed: int = 0
    policy: str = "random"

    def measure(self) -> float:
        from metta_lit.evaluation.config import load_simulations  # loads torch: not for --list
        from metta_lit.evaluation.runner import PolicyHandle, run_simulation

        (sim,) = load_simulations([self.simulation])
        sim = sim.model_copy(update={"num_episodes": self.episodes})
        return run_simulation(PolicyHandle.from_uri(self.policy), sim, seed=self.seed).mean("reward")


@dataclass(frozen=True)
class Criterion:
    """``metric op threshold`` on the run's final metrics; ``source`` says where the
    threshold comes from, so it can rise with evidence. With a ``baseline``, ``threshold`` is a
    multiple of what the baseline measures when the job is judged (:meth:`resolve`)."""

    metric: str
    op: Literal[">", ">=", "<", "<="]
    threshold: float
    source: str
    window: int = 1_000_000  # agent steps the final value is averaged over
    baseline: Baseline | None = None
    baseline_value: float | None = None  # what the baseline measured (set by resolve)

    def resolve(self) -> Criterion:
        """This criterion with its threshold in the metric's units: a baseline is measured now."""
        if self.baseline is None or self.baseline_value is not None:
            return self
        value = self.baseline.measure()
        return replace(self, threshold=self.threshold * value, baseline_value=value)

    def measure(self, history: History) -> float | None:
        """Mean of ``metric`` over the last ``window`` agent steps (per agent-episode for
        episode metrics; see :class:`metta_lit.runs.History`)."""
        return history.final_mean(self.metric, self.window)

    def passes(self, value: float | None) -> bool:
        return value is not None and math.isfinite(value) and OPERATORS[self.op](value, self.threshold)


def measured_verdicts(experiment: str) -> tuple[Path, list[str]] | None:
    """The verdict lines of ``experiment``'s report on its first scored metric, where it has
    been run: the copy a checkout keeps (``results/<name>/experiment.json``) or the
    experiment's own folder; None where neither exists."""
    from metta_lit.experiments import ExperimentConfig

    config = ExperimentConfig.load(experiment)
    for path in (Path("results") / config.name / ExperimentDir.RESULTS, config.folder / ExperimentDir.RESULTS):
        if path.is_file():
            metrics = read_results(path)["results"]["metrics"]
            return path, list(metrics.get(config.scoring.metrics[0], {}).get("verdicts", []))
    return None


@dataclass
class Job:
    """One command of a suite: ``metta-lit`` arguments, a timeout and its criteria."""

    name: str
    args: list[str]
    timeout_s: float
    budget: str = ""  # e.g. "10M agent steps", shown in the table
    criteria: list[Criterion] = field(default_factory=list)
    report: list[str] = field(default_factory=list)  # metrics shown (final 1M-step means), not judged
    run_dir: str | None = None  # whose logs/metrics.csv the criteria read
    compare_with: str | None = None  # a job run beside this one (same budget) whose result is shown beside its own
    experiment: str | None = None  # the experiment file whose seeds decide that comparison (one pair cannot)


@dataclass
class JobResult:
    name: str
    passed: bool
    seconds: float
    exit_code: int | None
    reason: str
    measured: dict[str, float | None] = field(default_factory=dict)
    criteria: list[Criterion] = field(default_factory=list)  # as judged: baselines measured


@dataclass
class Suite:
    """Jobs run in order; ``metta-lit run <suite> [--only NAME]`` prints a pass/fail table and,
    with ``json``, writes the results (what each run reached, for raising thresholds)."""

    name: str
    jobs: list[Job]
    json: str | None = None
    log_dir: str | None = None  # each job's output goes to <log_dir>/<job>.log

    def select(self, only: list[str]) -> None:
        names = [job.name for job in self.jobs]
        unknown = [n for n in only if n not in names]
        if unknown:
            raise ConfigError(f"{self.name} suite: no job {unknown} (jobs: {', '.join(names)})")
        wanted = set(only) | {job.compare_with for job in self.jobs if job.name in only and job.compare_with}
        self.jobs = [job for job in self.jobs if job.name in wanted]

    def comparisons(self, results: dict[str, JobResult]) -> list[str]:
        """One line per job with a ``compare_with`` partner: the two runs' values of its first
        criterion's metric. One run each is no verdict (a seed moves them by as much as most
        effects), so the line says which is higher and, where the job names one, the
        experiment that answers the question with seeds and intervals."""
        lines = []
        for job in self.jobs:
            other = results.get(job.compare_with or "")
            if other is None or not job.criteria:
                continue
            metric = job.criteria[0].metric
            mine, theirs = results[job.name].measured.get(metric), other.measured.get(metric)
            if mine is None or theirs is None:
                lines.append(f"{job.name} vs {other.name}: {metric} missing, no comparison")
                continue
            order = "higher" if mine > theirs else "not higher"
            answer = (
                f"; the answer with seeds: metta-lit experiment --config {job.experiment}" if job.experiment else ""
            )
            lines.append(
                f"{job.name} vs {other.name}: {metric} {mine:.3f} vs {theirs:.3f} ({order}, one run each){answer}"
            )
            if job.experiment and (measured := measured_verdicts(job.experiment)):
                path, verdicts = measured
                lines += [f"  measured with seeds ({path}): {verdict}" for verdict in verdicts]
        return lines

    def run_job(self, job: Job, console: Console) -> JobResult:
        console.print(f"[bold]{self.name}/{job.name}[/]: metta-lit {' '.join(job.args)}")
        log = open(Path(self.log_dir, f"{job.name}.log"), "w") if self.log_dir else None  # noqa: SIM115
        start = time.monotonic()
        try:
            proc = subprocess.run(
                metta_lit_command(*job.args),
                stdout=log or subprocess.DEVNULL,
                stderr=subprocess.STDOUT if log else subprocess.PIPE,
                timeout=job.timeout_s,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            code = proc.returncode
        except subprocess.TimeoutExpired:
            return JobResult(job.name, False, time.monotonic() - start, None, f"timed out after {job.timeout_s:.0f} s")
        finally:
            if log:
                log.close()
        seconds = time.monotonic() - start
        if code != 0:
            tail = (proc.stderr or "").strip().splitlines()[-1:] if not log else [f"see {log.name}"]
            return JobResult(job.name, False, seconds, code, f"exit code {code}: {' '.join(tail)}")
        history = History.read(job.run_dir) if job.run_dir else History({})
        criteria = [c.resolve() for c in job.criteria]
        # By metric name: the criteria's (over their windows), then the reported ones (last 1M steps).
        measured = {c.metric: c.measure(history) for c in criteria}
        failed = [f"{c.metric} {c.op} {c.threshold:g}" for c in criteria if not c.passes(measured[c.metric])]
        reason = "ok" if not failed else "missed: " + "; ".join(failed)
        for metric in job.report:
            measured.setdefault(metric, history.final_mean(metric, 1_000_000))
        return JobResult(job.name, not failed, seconds, code, reason, measured, criteria)

    def run(self, console: Console | None = None) -> bool:
        console = console or Console()
        if self.log_dir:
            os.makedirs(self.log_dir, exist_ok=True)
        results = [self.run_job(job, console) for job in self.jobs]
        table = Table(title=f"{self.name} suite", show_lines=True)
        table.add_column("job", no_wrap=True)
        table.add_column("result", no_wrap=True)
        table.add_column("seconds", justify="right")
        table.add_column("reached (final 1M-step means)")
        for job, result in zip(self.jobs, results, strict=True):
            judged = {c.metric: f"{c.metric} {c.op} {c.threshold:.3g}" for c in result.criteria or job.criteria}
            reached = "\n".join(f"{judged.get(k, k)} -> {v:.5g}" for k, v in result.measured.items() if v is not None)
            verdict = "[green]pass[/]" if result.passed else "[red]FAIL[/]"
            detail = "" if result.passed else f"\n{result.reason}"
            table.add_row(f"{job.name}\n{job.budget}".strip(), verdict, f"{result.seconds:.0f}", reached + detail)
        console.print(table)
        comparisons = self.comparisons({r.name: r for r in results})
        for line in comparisons:
            console.print(line)
        if self.json:
            Path(self.json).parent.mkdir(parents=True, exist_ok=True)
            payload = {
                "suite": self.name,
                "comparisons": comparisons,
                "jobs": [
                    {
                        **asdict(result),
                        "criteria": [asdict(c) for c in result.criteria or job.criteria],
                        "args": job.args,
                    }
                    for job, result in zip(self.jobs, results, strict=True)
                ],
            }
            Path(self.json).write_text(json.dumps(payload, indent=2))
            console.print(f"wrote {self.json}")
        return all(result.passed for result in results)
