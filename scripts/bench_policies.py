#!/usr/bin/env python
"""Policy architectures: size and throughput on the arena, per architecture and size.

For each of ``fast``, ``vit_tiny``, ``vit_small``, ``vit_med``, ``lstm``, ``mamba`` and
``cortex``: the parameter count; forward agent-steps/s in rollout mode (the actor stepping
16 arena envs x 24 agents, memory carried, no gradients); and end-to-end training
agent-steps/s (``metta-lit fit --config configs/arena.yaml`` with that policy, first epoch
excluded, as ``bench_train.py`` measures Fast).

    python scripts/bench_policies.py --seconds 20 --runs 3 --json bench_results/policies.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import torch
from bench_train import end_to_end
from rich.console import Console
from rich.table import Table

from metta_lit.core.results import spread, write_results
from metta_lit.env import env_config
from metta_lit.policy import FastPolicy, Policy
from metta_lit.policy.registry import ARCHITECTURES
from metta_lit.rl.torch_env import MettaGridTorchEnv


@torch.no_grad()
def rollout_sps(policy: Policy, env: MettaGridTorchEnv, seconds: float) -> float:
    """Actor forward passes on one batch of arena observations, memory carried step to step."""
    td = env.reset()
    td["is_init"] = torch.zeros(*env.batch_size, 1, dtype=torch.bool)
    td.update({k: torch.zeros(*env.batch_size, *s) for k, s in policy.memory_shapes().items()})
    actor = policy.actor()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        out = actor(td.clone())
        td.update({k: out["next", k] for k in policy.memory_shapes()})
        steps += env.batch_size.numel()
    return steps / (time.perf_counter() - start)


def measure(name: str, seconds: float, seed: int, runs: int) -> dict[str, Any]:
    cls, init = ARCHITECTURES[name]
    env = MettaGridTorchEnv(env_config("arena"), num_envs=16, seed=seed)
    torch.manual_seed(seed)
    policy = cls(env.feature_spec, env.action_names, **init).eval()
    params = sum(p.numel() for p in policy.parameters())
    rollout = spread([rollout_sps(policy, env, seconds) for _ in range(runs)])
    overrides = ["--model.init_args.policy.class_path", f"{cls.__module__}.{cls.__name__}"]
    for key, value in init.items():
        overrides += [f"--model.init_args.policy.init_args.{key}", str(value)]
    if cls is not FastPolicy:  # the arena config's policy init args are Fast's
        overrides = ["--model.init_args.policy", "null", *overrides]
    train = spread([train_sps(tuple(overrides), seconds, seed) for _ in range(runs)])
    return {"params": params, "rollout_sps": rollout, "train_sps": train}


def train_sps(overrides: tuple[str, ...], seconds: float, seed: int, longest: float = 240.0) -> float:
    """End-to-end SPS; a slow architecture whose first two epochs do not fit in ``seconds``
    is measured again with twice the time (up to ``longest``)."""
    while True:
        try:
            return end_to_end(seconds, seed, overrides)[0]
        except RuntimeError:
            if seconds * 2 > longest:
                raise
            seconds *= 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each measurement")
    parser.add_argument("--only", nargs="+", choices=list(ARCHITECTURES), default=list(ARCHITECTURES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3, help="repetitions of every measurement (min/median/max)")
    parser.add_argument("--json", type=Path, default=None, help="write a results file here")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    results = {}
    for name in args.only:
        results[name] = measure(name, args.seconds, args.seed, args.runs)
        print(f"{name}: {results[name]}", flush=True)
    table = Table(title="Policy architectures on the arena (agent-steps/s)")
    for column in ("architecture", "parameters", "rollout forward", "training end to end"):
        table.add_column(column, justify="left" if column == "architecture" else "right")
    for name, r in results.items():
        table.add_row(
            name, f"{r['params']:,}", f"{r['rollout_sps']['median']:,.0f}", f"{r['train_sps']['median']:,.0f}"
        )
    Console().print(table)
    if args.json:
        write_results(args.json, {"seconds": args.seconds, "architectures": results}, threads=None)


if __name__ == "__main__":
    main()
