"""``metta-lit sweep``: a hyperparameter search with Optuna over ``metta-lit fit`` runs."""

from __future__ import annotations

import subprocess

from metta_lit.commands import wide_console


def sweep(config: str, workers: int | None = None, report_only: bool = False, worker_index: int = 0) -> dict:
    """Search hyperparameters with Optuna; each trial is a 'metta-lit fit' run with its own name.

    Args:
        config: the sweep file (configs/sweeps/<name>.yaml): study, storage, search space, objective
        workers: trials running at once on this machine (default: the file's 'workers')
        report_only: print the results of the study so far, run no trials
        worker_index: set for the extra worker processes this command starts (seeds their sampler)
    """
    from metta_lit.core.errors import ConfigError
    from metta_lit.core.processes import child_env, metta_lit_command
    from metta_lit.sweep.config import SweepConfig
    from metta_lit.sweep.report import report
    from metta_lit.sweep.study import Worker, check_some_succeeded, counted, load_study

    console = wide_console()
    cfg = SweepConfig.load(config)
    workers = cfg.workers if workers is None else workers
    if workers < 1:
        raise ConfigError(f"--workers: must be >= 1, got {workers}")
    if not report_only:
        left = cfg.n_trials - len(counted(load_study(cfg)))
        workers = max(1, min(workers, left))  # no worker without a trial to run
        if not worker_index:
            console.print(f"[metta-lit] sweep {cfg.study}: {max(0, left)} trials left, {workers} worker(s)")
        extra = [
            subprocess.Popen(
                metta_lit_command("sweep", "--config", config, "--workers", "1") + ["--worker_index", str(index)],
                env=child_env(),  # the extra workers (and their runs) die with this one
            )
            for index in range(1, workers)
        ]
        try:
            Worker(cfg, worker_index).run()
        except BaseException:
            for proc in extra:
                proc.kill()
            raise
        for proc in extra:
            proc.wait()
        if worker_index:
            return {}  # the first process reports, once every worker is done
    study = load_study(cfg)
    results = report(study, cfg, console)
    check_some_succeeded(study)
    return results
