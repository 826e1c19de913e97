"""``metta-lit verify``: re-simulate replays and say whether the engine produces them exactly."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def verify(replay: str) -> list[str]:
    """Re-simulate a replay from its config, map, seed and actions, and report the first step
    where the state differs, or "identical". Exits with 1 when one differs, 2 when one cannot be
    verified (written before replays recorded actions).

    Args:
        replay: a replay file ('<episode_id>.json.z', a path or an fsspec URL), or a local
            folder: every replay in it
    """
    from metta_lit.env.replay import load_replay
    from metta_lit.env.verify import verify_replay  # loads the native env: not needed for --help

    files = sorted(str(p) for p in Path(replay).glob("*.json.z")) if os.path.isdir(replay) else [replay]
    if not files:
        print(f"{replay}: no replays (*.json.z) in this folder", flush=True)
        sys.exit(2)
    verdicts = []
    for path in files:
        verdict = verify_replay(load_replay(path), path)
        print(f"{path}: {verdict}", flush=True)
        verdicts.append(verdict)
    if not all(v.identical for v in verdicts):
        sys.exit(1 if all(v.verifiable for v in verdicts) else 2)
    return [str(v) for v in verdicts]


verify.positional = True  # `metta-lit verify REPLAY`
