"""Where an experiment's runs train besides this machine's worker pool: a SLURM job array or
Ray tasks. Either way each run is one ``metta-lit experiment --config FILE --run_index I``
(which trains, scores and writes its ``scores.json`` into the experiment folder), so the folder
must be on a filesystem the nodes share, and the report is the same command run again.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from metta_lit.core.errors import ConfigError
from metta_lit.core.processes import child_env, metta_lit_command
from metta_lit.evaluation.distributed import connect_ray
from metta_lit.experiments.runner import Experiment, Run


def run_index_command(config: str, index: int) -> list[str]:
    """The command one run of the experiment in ``config`` is on a node (absolute path: a node
    starts elsewhere)."""
    return metta_lit_command("experiment", "--config", str(Path(config).absolute()), "--run_index", str(index))


def pending_indices(exp: Experiment) -> list[int]:
    exp.load_scores()
    return [i for i, run in enumerate(exp.runs) if run.status != "done"]


# --- SLURM ----------------------------------------------------------------------------------
def sbatch_path() -> str:
    """Where ``sbatch`` is, or the one line that says it is not there."""
    sbatch = shutil.which("sbatch")
    if sbatch is None:
        raise ConfigError(
            "--launcher slurm: sbatch is not on PATH (run on a SLURM login node, or use --launcher local)"
        )
    return sbatch


def submit_slurm_array(exp: Experiment, config: str) -> str:
    """Writes the experiment's SLURM array script (one task per run not yet scored) and submits
    it with ``sbatch``; returns what to tell the user."""
    sbatch = sbatch_path()
    pending = pending_indices(exp)
    if not pending:
        return f"[metta-lit] experiment {exp.config.name}: every run is scored; nothing to submit"
    command = shlex.join(run_index_command(config, 0)[:-1])
    script = exp.folder / "runs.sbatch"
    script.write_text(
        "#!/bin/bash\n"
        f"#SBATCH --job-name={exp.config.name}\n"
        f"#SBATCH --array={','.join(map(str, pending))}\n"
        f"#SBATCH --output={exp.logs}/slurm-%A_%a.out\n"
        "set -euo pipefail\n"
        f"cd {shlex.quote(str(Path.cwd()))}\n"
        f"{command} $SLURM_ARRAY_TASK_ID\n"
    )
    submitted = subprocess.run([sbatch, str(script)], capture_output=True, text=True)
    if submitted.returncode != 0:
        raise ConfigError(f"sbatch refused {script}: {submitted.stderr.strip() or submitted.stdout.strip()}")
    return (
        f"[metta-lit] {submitted.stdout.strip()}: {len(pending)} runs of {exp.config.name} ({script}); "
        f"when they end: metta-lit experiment --config {config} --report_only true"
    )


# --- Ray ------------------------------------------------------------------------------------
def ray_module() -> Any:
    """Ray, or the one line that says it is not installed."""
    try:
        import ray
    except ImportError:
        raise ConfigError("--launcher ray: Ray is not installed (pip install 'metta-lit[ray]')") from None
    return ray


def _ray_run(command: list[str], cwd: str) -> tuple[int, str]:
    """One run on a Ray worker: its ``--run_index`` command, which dies with the worker."""
    proc = subprocess.run(command, cwd=cwd, env=child_env(), capture_output=True, text=True)
    return proc.returncode, (proc.stderr or proc.stdout).strip()[-2000:]


def ray_task_status(exp: Experiment, run: Run, submitted: float) -> str:
    """What a submitted run's task is doing, from its logs in the experiment folder (the
    cluster shares it): Ray may start only some tasks at once, so a task whose run has written
    no log since submission is still waiting for a CPU."""

    def written(kind: str) -> bool:
        log = exp.logs / f"{run.name}.{kind}.log"
        return log.is_file() and log.stat().st_mtime >= submitted

    return "scoring" if written("score") else "training" if written("fit") else "waiting"


def run_on_ray(
    exp: Experiment, config: str, address: str | None, on_change: Callable[[], None], poll: float = 1.0
) -> None:
    """Every run not yet scored as a Ray task (one CPU each) on the cluster at ``address``
    (``auto``: the one this machine is in; None: a Ray started for this command), until all
    ended; Ray reruns a task whose worker died. A run that failed keeps its error for the report."""
    ray = ray_module()
    pending = pending_indices(exp)
    if not pending:
        return
    connect_ray(ray, address)
    try:
        task = ray.remote(num_cpus=1, max_retries=exp.config.retries)(_ray_run)
        submitted = time.time()
        refs = {task.remote(run_index_command(config, i), str(Path.cwd())): i for i in pending}
        while refs:
            for i in refs.values():
                exp.runs[i].status = ray_task_status(exp, exp.runs[i], submitted)
            done, _ = ray.wait(list(refs), num_returns=1, timeout=poll)
            for ref in done:
                index = refs.pop(ref)
                code, error = ray.get(ref)
                run = exp.runs[index]
                run.status = "done" if code == 0 else "failed"
                if code != 0:
                    run.error = error.splitlines()[-1] if error else f"exited with code {code}"
            on_change()
    finally:
        ray.shutdown()
    exp.load_scores()
