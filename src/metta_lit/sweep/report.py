"""A sweep's results: the trials table, the best trial as a ready-to-run command, the
parameter importances (Optuna's PED-ANOVA) as a PNG, and everything as JSON."""

from __future__ import annotations

import json
import math
import shlex
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState
from rich.console import Console
from rich.table import Table

from metta_lit.core.files import save_figure
from metta_lit.sweep.config import SweepConfig
from metta_lit.sweep.study import fit_command


def trials_table(study: optuna.Study, config: SweepConfig) -> Table:
    keys = list(config.search_space)
    table = Table(title=f"study {study.study_name}: {config.objective.metric} ({config.objective.direction})")
    for column in ("trial", "state", "value", *(key.rsplit(".", 1)[-1] for key in keys), "run"):
        table.add_column(column, justify="right" if column in ("trial", "value") else "left")
    for trial in study.get_trials(deepcopy=False):
        value = "" if trial.value is None else f"{trial.value:.4g}"
        params = [_short(trial.params.get(key)) for key in keys]
        table.add_row(str(trial.number), trial.state.name, value, *params, trial.user_attrs.get("run", ""))
    return table


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else "" if value is None else str(value)


def best_command(study: optuna.Study, config: SweepConfig) -> str | None:
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        return None
    best = study.best_trial
    return shlex.join(fit_command(config, f"{config.study}.best", best.params))


def importance_plot(study: optuna.Study, path: Path) -> dict[str, float] | None:
    """Writes the parameter-importance bar chart; None when fewer than two trials completed
    (importance compares completed trials)."""
    if len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # PED-ANOVA: Optuna's own (fANOVA and the others need scikit-learn).
    importances = optuna.importance.get_param_importances(
        study, evaluator=optuna.importance.PedAnovaImportanceEvaluator()
    )
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(importances) + 1.5), layout="constrained")
    names = list(importances)[::-1]
    ax.barh(names, [importances[n] for n in names], color="#22a3b8")
    ax.set_xlabel("importance (PED-ANOVA)")
    ax.set_title(f"{study.study_name}: parameter importance")
    save_figure(fig, str(path), dpi=110)
    return importances


def report(study: optuna.Study, config: SweepConfig, console: Console) -> dict[str, Any]:
    out = Path(config.output_dir) / config.study
    console.print(trials_table(study, config))
    states = {state.name: len(study.get_trials(deepcopy=False, states=(state,))) for state in TrialState}
    console.print("trials: " + ", ".join(f"{n} {name.lower()}" for name, n in states.items() if n))
    command = best_command(study, config)
    if command:
        best = study.best_trial
        console.print(
            f"best: trial {best.number} ({best.user_attrs.get('run')}), {config.objective.metric} = {best.value:.4g}"
        )
        console.print(f"run it with:\n  {command}", soft_wrap=True)
    importances = importance_plot(study, out / "importance.png")
    if importances:
        console.print(f"parameter importance plot: {out / 'importance.png'}")
    else:
        console.print("parameter importance needs two completed trials; no plot written")
    results = {
        "study": study.study_name,
        "metric": config.objective.metric,
        "direction": config.objective.direction,
        "best_command": command,
        "importances": importances,
        "trials": [
            {
                "number": t.number,
                "state": t.state.name,
                "value": None if t.value is None or not math.isfinite(t.value) else t.value,
                "params": t.params,
                "run": t.user_attrs.get("run"),
                "policy_uri": t.user_attrs.get("policy_uri"),
            }
            for t in study.get_trials(deepcopy=False)
        ],
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "trials.json").write_text(json.dumps(results, indent=2))
    return results
