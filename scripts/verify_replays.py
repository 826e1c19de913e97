#!/usr/bin/env python
"""Fresh replays of every shipped env verify as identical: the engine's recorder and its
re-simulation agree on every object and field at every step.

For each env in ``configs/env/``, plays ``--episodes`` random-policy episodes of
``--steps`` steps (one env per episode, so each starts from its own map and seed), writes
their replays, and runs ``metta-lit verify``'s check on each. Prints a table and optionally
writes a results file; exits 1 when any replay is not identical.

    python scripts/verify_replays.py --episodes 100 --steps 30 --json bench_results/verify_replays.json
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from metta_lit.core.packaged import CONFIG_DIR
from metta_lit.core.results import write_results
from metta_lit.env import env_config
from metta_lit.env.replay import load_replay
from metta_lit.env.verify import verify_replay
from metta_lit.policy import RandomPolicy
from metta_lit.rl.acting import play_episodes
from metta_lit.rl.torch_env import MettaGridTorchEnv


def verify_env(name: str, episodes: int, steps: int, folder: Path) -> dict:
    """Plays and verifies ``episodes`` episodes of env ``name``; the row of the table."""
    config = env_config(name).with_overrides({"game.max_steps": steps})
    torch.manual_seed(0)
    env = MettaGridTorchEnv(config, num_envs=episodes, seed=1, replay_dir=str(folder / name))
    played = play_episodes(env, [(RandomPolicy({}, []), config.game.num_agents)], [1] * episodes)
    started = time.perf_counter()
    verdicts = [verify_replay(load_replay(episode.replay_url), episode.replay_url) for episode in played]
    different = [f"{episode.replay_url}: {v}" for episode, v in zip(played, verdicts, strict=True) if not v.identical]
    return {
        "env": name,
        "episodes": len(played),
        "steps": steps,
        "identical": len(played) - len(different),
        "seconds_to_verify": round(time.perf_counter() - started, 2),
        "first_difference": different[0] if different else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=100, help="episodes per env")
    parser.add_argument("--steps", type=int, default=30, help="steps per episode")
    parser.add_argument("--envs", nargs="+", default=sorted(p.stem for p in (CONFIG_DIR / "env").glob("*.yaml")))
    parser.add_argument("--json", type=Path, help="write a results file here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        rows = [verify_env(name, args.episodes, args.steps, Path(folder)) for name in args.envs]
    table = Table("env", "episodes", "steps", "identical", "verify s", "first difference")
    for row in rows:
        table.add_row(
            *(str(row[k]) for k in ("env", "episodes", "steps", "identical", "seconds_to_verify")),
            row["first_difference"] or "-",
        )
    Console(width=160).print(table)
    if args.json:
        write_results(args.json, {"rows": rows}, threads=torch.get_num_threads())
    sys.exit(0 if all(row["identical"] == row["episodes"] for row in rows) else 1)


if __name__ == "__main__":
    main()
