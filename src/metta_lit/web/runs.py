"""What the runs dashboard shows of a training run: its config, metrics history and policies.

A run is a folder ``<data_dir>/<run>`` as training leaves it (:class:`~metta_lit.runs.RunDir`).
Everything is read as text or numbers; nothing is unpickled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from starlette.exceptions import HTTPException

from metta_lit.checkpoints.uri import EXTENSION, PolicyURIError, parse_checkpoint_name
from metta_lit.core.files import normalize_uri
from metta_lit.runs import History, HistoryError, RunDir
from metta_lit.web.paths import Folder

MAX_METRICS_BYTES = 64 << 20
MAX_CONFIG_BYTES = 1 << 20
# Curves the dashboard opens with, by the names training logs them under.
DEFAULT_CURVES = (
    "episode/reward",  # what the README and the progress bar speak of
    "val/reward",  # the validation episodes' points
    "overview/sps",
    "env_agent/heart.gained",
    "losses/ppo/policy",
    # training health: a collapse shows in entropy first (diag/* and losses/* hold the rest)
    "losses/ppo/entropy",
    "diag/grad_norm",
    # cooperation, where the env has the mechanic (a curve a run lacks is not drawn)
    "coop/assembler_uses_together",
    "coop/items_shared",
    "coop/chest_passed",
)


def checkpoints(folder: Folder, run_dir: Path) -> list[dict[str, Any]]:
    """The run's policy files, newest version first, with their URIs."""
    found = []
    directory = RunDir(run_dir).checkpoints
    for path in directory.glob(f"*{EXTENSION}") if directory.is_dir() else []:
        try:
            key = parse_checkpoint_name(path.name)
        except PolicyURIError:
            continue  # not a versioned policy file: not ours to list
        if path.resolve().is_relative_to(folder.root):
            stat = path.stat()
            found.append(
                {
                    "name": path.name,
                    "version": key.version,
                    "path": folder.relative(path),
                    "uri": normalize_uri(str(path)),
                    "bytes": stat.st_size,
                    "mtime": stat.st_mtime,
                }
            )
    return sorted(found, key=lambda c: -c["version"])


def run_dirs(folder: Folder) -> list[Path]:
    """The runs directly under the data folder (symlinks leading out are left out)."""
    paths = sorted(folder.root.iterdir()) if folder.root.is_dir() else []
    return [path for path in paths if RunDir(path).is_run() and path.resolve().is_relative_to(folder.root)]


def list_runs(folder: Folder) -> list[dict[str, Any]]:
    """Every run directly under the data folder, most recently active first."""
    runs = []
    for path in run_dirs(folder):
        policies = checkpoints(folder, path)
        metrics = RunDir(path).metrics
        metrics = metrics if metrics.resolve().is_relative_to(folder.root) else path
        runs.append(
            {
                "name": path.name,
                "policies": len(policies),
                "latest": policies[0]["uri"] if policies else None,
                "mtime": max((metrics.stat().st_mtime if metrics.exists() else 0), path.stat().st_mtime),
            }
        )
    return sorted(runs, key=lambda r: -r["mtime"])


def run_dir(folder: Folder, run: str) -> Path:
    path = folder.resolve(run)
    if path.parent != folder.root or not RunDir(path).is_run():
        raise HTTPException(404, f"runs: {run!r} is not a run of the data folder")
    return path


def read_limited(path: Path, limit: int) -> str:
    if path.stat().st_size > limit:
        raise HTTPException(413, f"{path.name}: larger than the {limit:,}-byte limit")
    return path.read_text(errors="replace")


def run_file(folder: Folder, run: str, name: str) -> Path:
    """A file of a run (``logs/config.yaml``...) through the folder's confinement check, so a
    symlinked file or ``logs/`` folder that leads out of the data folder is refused (403)."""
    run_dir(folder, run)
    return folder.resolve(f"{run}/{name}", must_exist=False)


def run_details(folder: Folder, run: str) -> dict[str, Any]:
    path = run_dir(folder, run)
    config = run_file(folder, run, RunDir.CONFIG)
    text = read_limited(config, MAX_CONFIG_BYTES) if config.is_file() else None
    return {
        "name": run,
        "config": text,
        "env": trained_env(text),
        "checkpoints": checkpoints(folder, path),
        "default_curves": list(DEFAULT_CURVES),
    }


def trained_env(config: str | None) -> str | None:
    """The env a LightningCLI config trains on (``model.init_args.env``), if it names one."""
    try:
        data = yaml.safe_load(config or "")
        env = data["model"]["init_args"]["env"]
    except (yaml.YAMLError, TypeError, KeyError):
        return None
    return env if isinstance(env, str) else None


def run_metrics(folder: Folder, run: str) -> dict[str, list[float | None]]:
    """The metrics history as columns (JSON has no NaN: a missing value is null)."""
    metrics = run_file(folder, run, RunDir.METRICS)
    if not metrics.is_file():
        return {}
    try:
        history = History.parse(read_limited(metrics, MAX_METRICS_BYTES))
    except HistoryError as e:
        raise HTTPException(422, f"{RunDir.METRICS}: {e}") from None
    return history.finite_columns()
