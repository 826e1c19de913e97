"""``metta-lit verify``: re-simulate a replay and say whether the engine produces it exactly."""

from __future__ import annotations

import sys


def verify(replay: str) -> str:
    """Re-simulate a replay from its config, map, seed and actions, and report the first step
    where the state differs, or "identical". Exits with 1 when it differs, 2 when the replay
    cannot be verified (written before replays recorded actions).

    Args:
        replay: a replay file ('<episode_id>.json.z'): a path or an fsspec URL
    """
    from metta_lit.env.replay import load_replay
    from metta_lit.env.verify import verify_replay  # loads the native env: not needed for --help

    verdict = verify_replay(load_replay(replay), replay)
    print(f"{replay}: {verdict}", flush=True)
    if not verdict.identical:
        sys.exit(1 if verdict.verifiable else 2)
    return str(verdict)


verify.positional = True  # `metta-lit verify REPLAY`
