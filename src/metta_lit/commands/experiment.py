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
    launcher: Literal["local", "slurm", "ray"] = "local",
    ray_address: str | None = None,
    run_index: int | None = None,
    report_only: bool = False,
    console: Console | None = None,
) -> dict | None:
    """Run an experiment: every arm x seed trained to the budget and scored on fixed simulations, then aggregated.

    Rerunning the same command skips scored runs, scores trained ones and resumes killed ones.

    Args:
        config: the experiment file (configs/experiments/<name>.yaml or a path): base config, arms or grid,
            seeds, budget, scoring simulations
        workers: runs training at once on this machine (default: the file's 'workers')
        launcher: where the runs train: 'local' (child processes of this command), 'slurm' (submits a
            job array, one task per run not yet scored; rerun with --report_only true when it is done) or
            'ray' (one Ray task per run, then the report); the experiment folder must be shared with the nodes
        ray_address: with --launcher ray, the cluster ('auto': the one this machine is in; default: a Ray
            started for this command on this machine)
        run_index: train and score only this run (0-based, arms then seeds): what each SLURM array task runs
        report_only: aggregate and report the runs scored so far, train nothing
        console: where progress and the report are printed (Python callers)
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from metta_lit.core.errors import ConfigError
    from metta_lit.experiments import Experiment, ExperimentConfig, ExperimentError
    from metta_lit.experiments.launchers import ray_module, run_on_ray, sbatch_path, submit_slurm_array
    from metta_lit.experiments.report import RESULTS, analyse, print_report, write

    console = console or wide_console()
    cfg = ExperimentConfig.load(config)
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers: must be >= 1, got {workers}")
    if ray_address is not None and launcher != "ray":
        raise ConfigError("--ray_address: only with --launcher ray")
    if not report_only and run_index is None:  # before any run is checked: what cannot launch ends at once
        if launcher == "slurm":
            sbatch_path()
        elif launcher == "ray":
            ray_module()
    exp = Experiment(cfg, workers)
    exp.prepare()
    if run_index is not None:
        exp.run_one(run_index)
        return None
    if launcher == "slurm" and not report_only:
        console.print(submit_slurm_array(exp, config))
        return None
    if not report_only:
        where = "one Ray task each" if launcher == "ray" else f"{exp.workers} at a time"
        console.print(
            f"[metta-lit] experiment {cfg.name}: {len(cfg.arm_list())} arms x {len(cfg.seed_list())} seeds, "
            f"{cfg.budget:,} agent steps each, {where}; results in {exp.folder}"
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
                if launcher == "ray":
                    run_on_ray(exp, config, ray_address, on_change=refresh)
                else:
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
