#!/usr/bin/env python
"""Baseline scores of a simulation suite: a uniform random policy and the scripted agent
(walks to the converters it can use, in recipe order), mean reward per agent-episode on each
simulation, as a table and optionally JSON. What a trained policy's scores are read against.

    python scripts/baselines.py navigation --episodes 8 --json bench_results/baselines_navigation.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from metta_lit.core.errors import ConfigError
from metta_lit.evaluation.config import load_simulations
from metta_lit.evaluation.runner import PolicyHandle, run_simulation
from metta_lit.policy import RandomPolicy, ScriptedPolicy
from metta_lit.rl.torch_env import MettaGridTorchEnv


def baselines(suite: str, episodes: int, seed: int = 0) -> dict[str, dict[str, float | None]]:
    """``{simulation: {"random": mean, "scripted": mean or None}}`` (None: no scripted agent)."""
    out: dict[str, dict[str, float | None]] = {}
    for sim in load_simulations([suite]):
        sim = sim.model_copy(update={"num_episodes": episodes})
        config = sim.env_config()
        probe = MettaGridTorchEnv(config, num_envs=1)
        scores: dict[str, float | None] = {
            "random": run_simulation(PolicyHandle(RandomPolicy({}, []), "random", 0), sim, seed=seed).mean()
        }
        try:
            scripted = ScriptedPolicy.for_env(config, probe.feature_spec, probe.action_names, seed=seed)
        except ConfigError:
            scores["scripted"] = None
        else:
            scores["scripted"] = run_simulation(PolicyHandle(scripted, "scripted", 0), sim, seed=seed).mean()
        out[sim.name] = scores
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suite", help="a simulation suite of configs/sims (navigation, arena, ...)")
    parser.add_argument("--episodes", type=int, default=8, help="episodes per simulation and policy")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results = baselines(args.suite, args.episodes, args.seed)
    table = Table(title=f"{args.suite}: mean reward per agent-episode ({args.episodes} episodes each)")
    for column in ("simulation", "random", "scripted"):
        table.add_column(column, justify="left" if column == "simulation" else "right")
    for name, scores in results.items():
        table.add_row(name, *(f"{v:.2f}" if v is not None else "-" for v in scores.values()))
    Console().print(table)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
