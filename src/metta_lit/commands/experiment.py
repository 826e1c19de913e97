"""``metta-lit experiment``: arms x seeds of training runs, scored on fixed simulations,
aggregated with intervals into a verdict."""

from __future__ import annotations

import threading
from typing import Literal

from rich.console import Console

from metta_lit.commands import wide_console


def experiment(
    config: str,
    workers: int | None = None,
    launcher: Literal["local"] = "local",
    report_only: bool = False,
    console: Console | None = None,
) -> dict:
    """Run an experiment: every arm x seed trained to the budget and scored on fixed simulations, then aggregated.

    Rerunning the same command skips scored runs, scores trained ones and resumes killed ones.

    Args:
        config: the experiment file (configs/experiments/<name>.yaml or a path): base config, arms or grid,
            seeds, budget, scoring simulations
        workers: runs training at once on this machine (default: the file's 'workers')
        launcher: where the runs train: 'local' (child processes of this command)
        report_only: aggregate and report the runs scored so far, train nothing
        console: where progress and the report are printed (Python callers)
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from metta_lit.core.errors import ConfigError
    from metta_lit.experiments import Experiment, ExperimentConfig, ExperimentError
    from metta_lit.experiments.report import RESULTS, analyse, print_report, write

    console = console or wide_console()
    cfg = ExperimentConfig.load(config)
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers: must be >= 1, got {workers}")
    exp = Experiment(cfg, workers)
    exp.prepare()
    if not report_only:
        console.print(
            f"[metta-lit] experiment {cfg.name}: {len(cfg.arm_list())} arms x {len(cfg.seed_list())} seeds, "
            f"{cfg.budget:,} agent steps each, {exp.workers} at a time; results in {exp.folder}"
        )
        columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,.0f} agent steps"))
        with Progress(*columns, TimeElapsedColumn(), TimeRemainingColumn(), console=console) as progress:
            task = progress.add_task("", total=len(exp.runs) * cfg.budget)
            stop = threading.Event()

            def refresh() -> None:
                statuses = [run.status for run in exp.runs]
                running = sum(s in ("training", "scoring") for s in statuses)
                progress.update(
                    task,
                    completed=exp.agent_steps(),
                    description=f"runs: {statuses.count('done')} done, {running} running, "
                    f"{statuses.count('failed')} failed of {len(statuses)}",
                )

            def poll() -> None:
                while not stop.wait(1.0):
                    refresh()

            poller = threading.Thread(target=poll, daemon=True)
            poller.start()
            try:
                exp.run(on_change=refresh)
            finally:
                stop.set()
                poller.join()
                refresh()
    else:
        exp.load_scores()
    metrics = analyse(cfg, exp.runs)
    document = write(cfg, exp.runs, exp.folder, metrics)
    print_report(console, cfg, exp.runs, metrics)
    console.print(f"[metta-lit] wrote {exp.folder / RESULTS} and its plots")
    failed = [run for run in exp.runs if run.status == "failed"]
    if failed and not report_only:
        raise ExperimentError(f"{len(failed)} of {len(exp.runs)} runs failed (first: {failed[0].error})")
    return document
