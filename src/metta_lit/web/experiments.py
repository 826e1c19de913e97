"""What the Experiments page shows: the experiments under the experiments folder, each one's
runs as they stand (from its ``plan.json`` and the runs' folders, so a running experiment shows
its progress) and, once aggregated, its ``experiment.json``. Files are read as data, bounded in
size, through the confined folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException

from metta_lit.runs import ExperimentDir, RunDir
from metta_lit.web.paths import Folder
from metta_lit.web.runs import read_limited

MAX_JSON_BYTES = 32 << 20
MAX_EXPERIMENTS = 500


def _json(path: Path) -> Any:
    try:
        return json.loads(read_limited(path, MAX_JSON_BYTES))
    except (ValueError, RecursionError) as e:
        raise HTTPException(422, f"experiments: {path.name} is not valid JSON ({e})") from None


def list_experiments(folder: Folder) -> list[dict[str, Any]]:
    """Experiments (folders with a plan), newest first: name, runs planned and done."""
    out = []
    for plan in list(folder.files(ExperimentDir.PLAN, limit=MAX_EXPERIMENTS)):
        if plan.parent.parent != folder.root:
            continue  # a plan.json deeper down is not an experiment of this folder
        try:
            details = experiment_details(folder, plan.parent.name)
        except HTTPException as e:  # one unreadable experiment does not hide the others
            out.append({"name": plan.parent.name, "runs": 0, "done": 0, "error": e.detail})
            continue
        statuses = [run["status"] for run in details["runs"]]
        out.append({"name": details["name"], "runs": len(statuses), "done": statuses.count("done")})
    return out


def experiment_details(folder: Folder, name: str) -> dict[str, Any]:
    """The plan's runs with their status now, and the aggregated results once written."""
    root = folder.resolve(name)
    plan = _json(folder.resolve(f"{name}/{ExperimentDir.PLAN}"))
    runs = plan.get("runs") if isinstance(plan, dict) else None
    if not isinstance(runs, list) or not all(isinstance(r, dict) and isinstance(r.get("run"), str) for r in runs):
        raise HTTPException(422, f"experiments: {name}/{ExperimentDir.PLAN} has no list of runs")
    document = (
        _json(folder.resolve(f"{name}/{ExperimentDir.RESULTS}")) if (root / ExperimentDir.RESULTS).is_file() else None
    )
    results = document.get("results") if isinstance(document, dict) else None
    reported = {r.get("run"): r.get("status") for r in (results or {}).get("runs", []) if isinstance(r, dict)}
    for run in runs:
        run_dir = folder.resolve(f"{name}/{ExperimentDir.TRAIN_DIR}/{run['run']}", must_exist=False)
        if (run_dir / ExperimentDir.SCORES).is_file():
            run["status"] = "done"
        elif reported.get(run["run"]) == "failed":
            run["status"] = "failed"
        elif RunDir(run_dir).metrics.is_file():
            run["status"] = "started"
        else:
            run["status"] = "waiting"
    return {"name": name, "arms": plan.get("arms", []), "runs": runs, "results": results}
