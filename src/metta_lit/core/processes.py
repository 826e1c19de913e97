"""Child processes that die with their parent.

A sweep's training runs and an evaluation's pool workers are separate processes; if their
parent is killed with SIGKILL (no cleanup runs), they would live on: a pool worker blocks
forever on its dead queue, a trial keeps training for hours. Linux's parent-death signal
(``prctl(PR_SET_PDEATHSIG)``) has the kernel send them SIGKILL when the parent goes.
Python's standard library has no wrapper for it (``subprocess`` offers only
``preexec_fn``/``process_group``), hence the few lines of ``ctypes`` here. Elsewhere (macOS)
nothing is set and the children are left as before.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1
PARENT_ENV = "METTA_LIT_PARENT_PID"  # set for a child ``metta-lit`` process that must die with its parent


def die_with_parent(parent: int | None = None, sig: int = signal.SIGKILL) -> None:
    """In a child process: be sent ``sig`` when the parent exits (Linux). ``parent`` is the pid
    the child was started by; if the child's parent is no longer that (it died before this
    call), exit at once."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid() if parent is None else parent
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return  # a sandbox that forbids prctl: nothing more to do
    if os.getppid() != parent:
        os._exit(1)


def child_env() -> dict[str, str]:
    """Environment for a ``metta-lit`` child process that must not outlive this one (a sweep's
    training run): its CLI calls :func:`adopt_parent` first thing. An environment variable
    rather than ``preexec_fn``, which is unsafe in a process with threads."""
    return {**os.environ, PARENT_ENV: str(os.getpid())}


def adopt_parent() -> None:
    """If started through :func:`child_env`, die with that parent. The variable is removed so
    this process's own children do not inherit the duty."""
    parent = os.environ.pop(PARENT_ENV, None)
    if parent and parent.isdigit():
        die_with_parent(int(parent))


def metta_lit_command(*args: str) -> list[str]:
    """The argv that runs ``metta-lit ARGS`` in a child process with this interpreter (works
    where the console script is not on ``PATH``)."""
    return [sys.executable, "-m", "metta_lit.cli", *args]


def error_line(text: str) -> str:
    """A child's one-line error from its output (``metta-lit fit: error: ...``, or a traceback's
    ``ValueError: ...``), else its last line; what a pool of children reports per failure."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line.lower()]
    return (errors or lines or ["no output"])[-1][:300]


def last_error(log: Path) -> str:
    """:func:`error_line` of the end of a child's log file."""
    try:
        return error_line("\n".join(log.read_text(errors="replace").splitlines()[-80:]))
    except OSError:
        return "no log"
