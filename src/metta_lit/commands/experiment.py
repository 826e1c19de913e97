"""``metta-lit experiment``: arms x seeds of training runs, scored on fixed simulations,
aggregated with intervals into a verdict."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Literal

from rich.console import Console

from metta_lit.commands import wide_console


def experiment(
    config: str,
    workers: int | None = None,
    launcher: Literal["local", "slurm"] = "local",
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
        launcher: where the runs train: 'local' (child processes of this command) or 'slurm' (submits a
            job array, one task per run not yet scored; rerun with --report_only true when it is done)
        run_index: train and score only this run (0-based, arms then seeds): what each SLURM array task runs
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
    if run_index is not None:
        exp.run_one(run_index)
        return None
    if launcher == "slurm" and not report_only:
        console.print(submit_array(exp, config))
        return None
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


def submit_array(exp, config: str) -> str:
    """Writes the experiment's SLURM array script (one task per run not yet scored, each
    ``metta-lit experiment --run_index I``) and submits it with ``sbatch``."""
    import shlex
    import shutil
    import subprocess
    import sys

    from metta_lit.core.errors import ConfigError

    sbatch = shutil.which("sbatch")
    if sbatch is None:
        raise ConfigError(
            "--launcher slurm: sbatch is not on PATH (run on a SLURM login node, or use --launcher local)"
        )
    exp.load_scores()
    pending = [i for i, run in enumerate(exp.runs) if run.status != "done"]
    if not pending:
        return f"[metta-lit] experiment {exp.config.name}: every run is scored; nothing to submit"
    command = shlex.join(
        [sys.executable, "-m", "metta_lit.cli", "experiment", "--config", str(Path(config).absolute())]
    )
    script = exp.folder / "runs.sbatch"
    script.write_text(
        "#!/bin/bash\n"
        f"#SBATCH --job-name={exp.config.name}\n"
        f"#SBATCH --array={','.join(map(str, pending))}\n"
        f"#SBATCH --output={exp.logs}/slurm-%A_%a.out\n"
        "set -euo pipefail\n"
        f"cd {shlex.quote(str(Path.cwd()))}\n"
        f"{command} --run_index $SLURM_ARRAY_TASK_ID\n"
    )
    submitted = subprocess.run([sbatch, str(script)], capture_output=True, text=True)
    if submitted.returncode != 0:
        raise ConfigError(f"sbatch refused {script}: {submitted.stderr.strip() or submitted.stdout.strip()}")
    return (
        f"[metta-lit] {submitted.stdout.strip()}: {len(pending)} runs of {exp.config.name} ({script}); "
        f"when they end: metta-lit experiment --config {config} --report_only true"
    )
