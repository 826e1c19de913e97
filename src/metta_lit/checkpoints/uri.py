"""Versioned policy URIs: ``<run>:v<N>.mpt`` files addressed by path, URL, directory or ``:latest``.

Accepted forms (any fsspec protocol: file, s3, memory, ...):
- ``path/to/run:v5.mpt`` or ``file:///abs/run:v5.mpt`` or ``s3://bucket/run/run:v5.mpt``
- a directory: the highest version inside it
- ``<dir>/<run>:latest``: the highest version of that run in ``<dir>``
Run name and version come from the file name (``stem.rsplit(":v", 1)``).
"""

from __future__ import annotations

import getpass
import os
import re
import time
from dataclasses import dataclass

import fsspec

from metta_lit.core.errors import ConfigError, MettaLitError, closest
from metta_lit.core.files import normalize_uri

EXTENSION = ".mpt"
RANDOM_URI = "random"  # accepted wherever a policy URI is: a uniformly random policy
SCRIPTED_URI = "scripted"  # in evaluation: the scripted agent, built for each env it plays
BUILTIN_URIS = (RANDOM_URI, SCRIPTED_URI)  # policies named, not loaded from a file
_FORBIDDEN = set(' /*\\:<>|?"')
_VERSIONED = re.compile(r"^(?P<run>.+):v(?P<version>\d+)\.mpt$")


class PolicyURIError(MettaLitError):
    """A policy URI that names no usable policy file."""


def validate_run_name(run: str) -> str:
    """Refuses names that break file names or the ``:v`` parsing."""
    bad = sorted(set(run) & _FORBIDDEN)
    if not run or bad or "__" in run:
        why = f"contains {bad}" if bad else ("contains '__'" if "__" in run else "is empty")
        raise ConfigError(f'invalid run name {run!r}: it {why} (no spaces, / * \\ : < > | ? " or __)')
    return run


def default_run_name() -> str:
    """``local.$USER.YYYYMMDD.HHMMSS``; fixed once per launch so DDP children share it."""
    if "METTA_LIT_RUN" not in os.environ:
        user = re.sub(r"[^A-Za-z0-9_.-]", "-", getpass.getuser() or "user").replace("__", "_")
        os.environ["METTA_LIT_RUN"] = f"local.{user}.{time.strftime('%Y%m%d.%H%M%S')}"
    return os.environ["METTA_LIT_RUN"]


DATA_DIR_ENV = "METTA_LIT_DATA_DIR"  # where runs go when --checkpoint.data_dir is not given


def default_data_dir() -> str:
    """``$METTA_LIT_DATA_DIR``, else ``./train_dir``."""
    return os.environ.get(DATA_DIR_ENV, "./train_dir")


def checkpoint_filename(run: str, version: int) -> str:
    return f"{validate_run_name(run)}:v{int(version)}{EXTENSION}"


@dataclass(frozen=True)
class PolicyKey:
    run: str
    version: int


def parse_checkpoint_name(name: str) -> PolicyKey:
    """``my_run:v30.mpt`` -> PolicyKey("my_run", 30)."""
    base = name.rsplit("/", 1)[-1]
    m = _VERSIONED.match(base)
    if not m:
        raise PolicyURIError(f"{name!r} is not a versioned policy file name (<run>:v<N>.mpt)")
    return PolicyKey(validate_run_name(m["run"]), int(m["version"]))


def _latest(fs: fsspec.AbstractFileSystem, directory: str, run: str | None, uri: str) -> str:
    try:
        names = fs.ls(directory, detail=False)
    except FileNotFoundError as e:
        raise FileNotFoundError(f"{uri}: directory {directory} does not exist") from e
    found: list[tuple[int, str, str]] = []
    for path in names:
        m = _VERSIONED.match(path.rstrip("/").rsplit("/", 1)[-1])
        if m and (run is None or m["run"] == run):
            found.append((int(m["version"]), m["run"], path))
    if not found:
        what = f"run {run!r}" if run else "any run"
        raise FileNotFoundError(f"{uri}: no <run>:v<N>.mpt policy files of {what} in {directory}")
    if run is None and len({r for _, r, _ in found}) > 1:
        runs = sorted({r for _, r, _ in found})
        raise PolicyURIError(f"{uri}: the directory holds several runs {runs}; use <dir>/<run>:latest")
    return max(found)[2]


def _closest_hint(fs: fsspec.AbstractFileSystem, path: str, uri: str) -> str:
    """`` (closest: random)`` for a misspelt built-in name or a file beside the one named."""
    parent, _, name = path.rstrip("/").rpartition("/")
    try:
        siblings = [entry.rstrip("/").rpartition("/")[2] for entry in fs.ls(parent, detail=False)] if parent else []
    except (OSError, ValueError):
        siblings = []
    near = closest(uri, BUILTIN_URIS) if "/" not in uri else []
    near += [n for n in closest(name, siblings) if n not in near]
    return f" (closest: {', '.join(near)})" if near else ""


def resolve_policy_uri(uri: str) -> str:
    """The concrete policy file URL that ``uri`` designates (see the module docstring)."""
    url = normalize_uri(uri)
    protocol = url.split("://", 1)[0]
    if protocol in ("http", "https"):
        raise PolicyURIError(f"{uri}: http(s) policy URIs are not supported (cannot list versions); download the file")
    fs, path = fsspec.core.url_to_fs(url)
    unstrip = (lambda p: fs.unstrip_protocol(p)) if protocol != "file" else (lambda p: "file://" + p)
    if path.endswith(":latest"):
        base = path[: -len(":latest")]
        directory, _, run = base.rpartition("/")
        return unstrip(_latest(fs, directory, validate_run_name(run), uri))
    if fs.isdir(path):
        return unstrip(_latest(fs, path, None, uri))
    if not fs.exists(path):
        raise FileNotFoundError(f"{uri}: no such policy file or directory{_closest_hint(fs, path, uri)}")
    if not path.endswith(EXTENSION):
        raise PolicyURIError(f"{uri}: policy files end in {EXTENSION}")
    return unstrip(path)
