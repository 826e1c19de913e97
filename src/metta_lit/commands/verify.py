"""``metta-lit verify``: re-simulate replays and say whether the engine produces them exactly."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def verify(replay: str) -> list[str]:
    """Re-simulate a replay from its config, map, seed and actions, and report the first step
    where the state differs, or "identical". Exits with 1 when one differs, 2 when one cannot be
    verified (malformed, unreadable, or written before replays recorded actions).

    Args:
        replay: a replay file ('<episode_id>.json.z', a path or an fsspec URL), or a local
            folder: every regular replay file in it
    """
    from metta_lit.env.replay import ReplayError, load_replay
    from metta_lit.env.verify import verify_replay  # loads the native env: not needed for --help

    files = _replay_files(replay) if os.path.isdir(replay) else [replay]
    if not files:
        print(f"{replay}: no replays (*.json.z) in this folder", flush=True)
        sys.exit(2)
    lines, differs, unverifiable = [], 0, 0
    for path in files:
        try:
            verdict = verify_replay(load_replay(path), path)
        except (ReplayError, FileNotFoundError, IsADirectoryError) as e:
            line = str(e).replace("\n", "; ")  # one line per file, naming it
            print(line if line.startswith(path) else f"{path}: {line}", flush=True)
            unverifiable += 1
            continue
        print(f"{path}: {verdict}", flush=True)
        lines.append(str(verdict))
        differs += verdict.verifiable and not verdict.identical
        unverifiable += not verdict.verifiable
    if unverifiable or differs:
        sys.exit(2 if unverifiable else 1)
    return lines


def _replay_files(folder: str) -> list[str]:
    """The folder's ``*.json.z`` regular files; others are named and skipped (a FIFO would
    block the read, a symlink loop cannot be read; neither is a replay)."""
    files = []
    for path in sorted(Path(folder).glob("*.json.z")):
        if path.is_file():
            files.append(str(path))
        else:
            print(f"{path}: skipped (not a regular file)", flush=True)
    return files


verify.positional = True  # `metta-lit verify REPLAY`
