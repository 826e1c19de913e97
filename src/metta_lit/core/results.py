"""Results files: every measured figure the docs quote is rendered from one of these, written by
the script that measured it, so a number can always be traced to the run, machine and command
that produced it (and rerun). A file is ``{"provenance": {...}, "results": {...}}``."""

from __future__ import annotations

import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from metta_lit.core.files import atomic_write, read_bytes

MAX_BYTES = 16 * 2**20  # a results file is a few KB; anything this large is not one


def cpu_model() -> str:
    """The CPU's marketing name (``/proc/cpuinfo``), which ``platform.processor()`` leaves
    empty on Linux; the architecture where neither knows better."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit(root: Path) -> str:
    """HEAD's short hash, ``-dirty`` when tracked files differ from it ("unknown" outside git).
    Results files and docs do not count: writing one measurement must not mark the next."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=10", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ":/",
                ":(top,exclude)bench_results",
                ":(top,exclude)docs",
            ],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


def provenance(threads: int | None, argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Where and how a measurement ran: commit, UTC date, CPU model, cores, threads, command."""
    argv = list(sys.argv if argv is None else argv)
    script = Path(argv[0]) if argv else Path(".")
    return {
        "commit": git_commit(script.resolve().parent),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d"),
        "cpu": cpu_model(),
        "cores": os.cpu_count() or 1,
        "threads": threads,
        "command": shlex.join(["python", *argv]),
    }


def spread(samples: Sequence[float]) -> dict[str, float]:
    """min / median / max of repeated measurements (one sample hides how much a number moves)."""
    if not samples:
        raise ValueError("spread() needs at least one sample")
    return {
        "min": min(samples),
        "median": statistics.median(samples),
        "max": max(samples),
        "runs": len(samples),
    }


def write_results(path: str | os.PathLike, results: dict[str, Any], threads: int | None) -> None:
    """Writes ``results`` with this process's provenance (atomically: a kill leaves the old file)."""
    document = {"provenance": provenance(threads), "results": results}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(os.fspath(path), (json.dumps(document, indent=2) + "\n").encode())


def read_results(path: str | os.PathLike) -> dict[str, Any]:
    """A results file's document; a clear ValueError for anything that is not one."""
    raw = read_bytes(os.fspath(path), "results file", max_bytes=MAX_BYTES)
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{path}: not a results file (invalid JSON: {exc})") from None
    if not isinstance(document, dict) or not {"provenance", "results"} <= document.keys():
        raise ValueError(f"{path}: not a results file (needs 'provenance' and 'results')")
    return document
