#!/usr/bin/env python
"""Environment throughput: agent-steps/s of the native vectorized env with random actions.

Measures (a) the arena and (b) the perf config (20 agents, 40x40 random map, 50 walls,
noop + 4 moves, 11x11 window, 200 tokens) with 1 and 2 threads, each ``--runs`` times;
prints the medians and optionally writes a results file (min/median/max). ``--compare
mettagrid`` also runs the PyPI ``mettagrid`` package on its closest equivalent of (b), when
it is importable.

A second table measures occupancy: the perf config with all 20 agent slots played and with
10 of them (the others inactive), 1 thread: agent-steps/s of the agents playing, and how much
faster an env step is at half occupancy (2x if an inactive slot cost nothing, 1x if it cost
as much as an agent): what an env built for a curriculum over group sizes costs when it plays
the smaller groups.

A third table prices each interface to the env on one arena env (24 agents), random
actions, one thread: the vectorized numpy env (the zero-copy fast path: the C++ code writes
into arrays the caller keeps), the TorchRL env, the PettingZoo ``ParallelEnv`` (dicts of
copies per agent) and, on a one-agent arena, the Gymnasium env.

    python scripts/bench_env.py --runs 3 --json bench_results/env.json
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from metta_lit.core.results import spread, write_results
from metta_lit.env import MettaGridVecEnv, env_config


def measure(
    config_name: str, num_envs: int, threads: int, seconds: float, seed: int = 0, playing: int | None = None
) -> float:
    """Agent-steps per second over ~`seconds` of back-to-back steps (after a warm-up); with
    ``playing``, only that many of the config's agent slots are played (a random map's
    ``agents``), and the rate counts those."""
    config = env_config(config_name)
    if playing is not None:
        slots = config.game.num_agents
        config = config.with_overrides(
            {"game.max_agents": slots, "game.num_agents": playing, "game.map_builder.agents": playing}
        )
    env = MettaGridVecEnv(config, num_envs=num_envs, seed=seed, num_threads=threads)
    env.reset()
    rng = np.random.default_rng(seed)
    # Pre-drawn actions, so the measurement is the env and not numpy's RNG.
    pool = rng.integers(0, env.num_actions, size=(64, num_envs, env.num_agents), dtype=np.int32)
    for k in range(20):
        env.step(pool[k % 64])
    steps, start = 0, time.perf_counter()
    while True:
        for k in range(64):
            env.step(pool[k])
        steps += 64
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return steps * num_envs * env.placed(0) / elapsed


def timed(step: object, agents: int, seconds: float) -> float:
    """Agent-steps per second of calling ``step()`` back to back for ~``seconds``."""
    for _ in range(20):
        step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(16):
            step()
        steps += 16
    return steps * agents / (time.perf_counter() - start)


def measure_interfaces(seconds: float, seed: int = 0) -> dict[str, float]:
    """Agent-steps/s of one arena env through each interface (the Gymnasium one on a one-agent
    arena: its API holds one agent)."""
    import torch

    from metta_lit.rl.torch_env import MettaGridTorchEnv

    config = env_config("arena")
    rng = np.random.default_rng(seed)
    out: dict[str, float] = {}
    vec = MettaGridVecEnv(config, num_envs=1, seed=seed)
    vec.reset()
    pool = rng.integers(0, vec.num_actions, size=(64, 1, vec.num_agents), dtype=np.int32)
    it = itertools.count()
    out["numpy vec env (zero copy)"] = timed(lambda: vec.step(pool[next(it) % 64]), vec.num_agents, seconds)
    torch_env = MettaGridTorchEnv(config, num_envs=1, seed=seed)
    td = torch_env.reset()
    actions = torch.as_tensor(pool.astype(np.int64))

    def torch_step() -> None:
        td["action"] = actions[next(it) % 64]
        torch_env.step(td)

    out["TorchRL env"] = timed(torch_step, vec.num_agents, seconds)
    try:
        from metta_lit.env.gymnasium import MettaGridGymEnv
        from metta_lit.env.pettingzoo import MettaGridParallelEnv
    except ImportError:  # the optional [pettingzoo] extra is not installed
        return out
    pz = MettaGridParallelEnv(config, seed=seed)
    pz.reset(seed=seed)

    def pz_step() -> None:
        if not pz.agents:
            pz.reset()
        row = pool[next(it) % 64, 0]
        pz.step({agent: int(row[i]) for i, agent in enumerate(pz.agents)})

    out["PettingZoo ParallelEnv"] = timed(pz_step, vec.num_agents, seconds)
    solo = config.with_overrides(
        {"game.num_agents": 1, "game.map_builder.instances": 1, "game.map_builder.instance.agents": 1}
    )
    gym_env = MettaGridGymEnv(solo)
    gym_env.reset(seed=seed)

    def gym_step() -> None:
        _, _, terminated, truncated, _ = gym_env.step(int(pool[next(it) % 64, 0, 0]))
        if terminated or truncated:
            gym_env.reset()

    out["Gymnasium env (1 agent)"] = timed(gym_step, 1, seconds)
    return out


def measure_mettagrid(seconds: float) -> float | None:
    """The PyPI package's closest equivalent of the perf config, if it is installed."""
    try:
        from mettagrid.builder.envs import make_arena  # noqa: F401  (API probe)
        from mettagrid.config.mettagrid_config import MettaGridConfig
        from mettagrid.envs.mettagrid_env import MettaGridEnv
        from mettagrid.map_builder.random import RandomMapBuilder
    except Exception:  # not installed, or an API we do not know
        return None
    cfg = MettaGridConfig()
    cfg.game.num_agents = 20
    cfg.game.max_steps = 1000
    cfg.game.map_builder = RandomMapBuilder.Config(width=40, height=40, agents=20, objects={"wall": 50})
    env = MettaGridEnv(cfg)
    env.reset()
    n = env.action_space.n if hasattr(env.action_space, "n") else int(env.action_space.nvec[0])
    rng = np.random.default_rng(0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.step(rng.integers(0, min(n, 5), size=20, dtype=np.int32))
        steps += 1
    return steps * 20 / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each measurement")
    parser.add_argument("--runs", type=int, default=3, help="repetitions of every measurement (min/median/max)")
    parser.add_argument("--json", type=Path, default=None, help="write a results file here")
    parser.add_argument("--perf-envs", type=int, default=64, help="envs stepped per call for the perf config")
    parser.add_argument("--arena-envs", type=int, default=32, help="envs stepped per call for the arena")
    parser.add_argument("--compare", choices=["mettagrid"], default=None, help="also run the PyPI mettagrid package")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    results: dict[str, dict] = {"envs_per_call": {"perf": args.perf_envs, "arena": args.arena_envs}}
    for name, envs in (("perf", args.perf_envs), ("arena", args.arena_envs)):
        # Interleaved (1, 2, 1, 2, ...) so drift of the machine hits both thread counts alike.
        runs = [{t: measure(name, envs, t, args.seconds) for t in (1, 2)} for _ in range(args.runs)]
        results[name] = {
            "threads_1": spread([r[1] for r in runs]),
            "threads_2": spread([r[2] for r in runs]),
            "speedup_2_threads": spread([r[2] / r[1] for r in runs]),
        }
    if args.compare == "mettagrid":
        theirs = [measure_mettagrid(args.seconds) for _ in range(args.runs)]
        if all(theirs):
            results["mettagrid"] = {"threads_1": spread(theirs)}

    table = Table(title=f"MettaGrid env throughput (agent-steps/s, random actions; median of {args.runs})")
    for col in ("config", "1 thread", "2 threads", "2-thread speedup"):
        table.add_column(col, justify="right" if col != "config" else "left")
    for name in ("perf", "arena"):
        r = results[name]
        table.add_row(
            name,
            f"{r['threads_1']['median']:,.0f}",
            f"{r['threads_2']['median']:,.0f}",
            f"{r['speedup_2_threads']['median']:.2f}x",
        )
    if args.compare == "mettagrid":
        theirs = results.get("mettagrid", {}).get("threads_1")
        table.add_row("mettagrid (PyPI)", f"{theirs['median']:,.0f}" if theirs else "not importable", "-", "-")
    Console().print(table)
    # Interleaved, as above: all 20 slots played, then 10 of 20.
    occupancy = [
        {n: measure("perf", args.perf_envs, 1, args.seconds, playing=n) for n in (20, 10)} for _ in range(args.runs)
    ]
    results["occupancy"] = {
        "full": spread([r[20] for r in occupancy]),
        "half": spread([r[10] for r in occupancy]),
        "half_vs_full_env_steps": spread([(r[10] / 10) / (r[20] / 20) for r in occupancy]),
    }
    slots = Table(title="Perf config, 20 agent slots (1 thread)")
    for col in ("agents playing", "agent-steps/s of those playing", "env steps/s vs all 20"):
        slots.add_column(col, justify="right")
    o = results["occupancy"]
    slots.add_row("20 of 20", f"{o['full']['median']:,.0f}", "1.00x")
    slots.add_row("10 of 20", f"{o['half']['median']:,.0f}", f"{o['half_vs_full_env_steps']['median']:.2f}x")
    Console().print(slots)
    samples = [measure_interfaces(args.seconds) for _ in range(args.runs)]
    results["interfaces"] = {name: spread([s[name] for s in samples]) for name in samples[0]}
    adapters = Table(title="One arena env through each interface (agent-steps/s, 1 thread)")
    adapters.add_column("interface")
    adapters.add_column("agent-steps/s", justify="right")
    adapters.add_column("vs numpy", justify="right")
    base = results["interfaces"]["numpy vec env (zero copy)"]["median"]
    for name, rate in results["interfaces"].items():
        adapters.add_row(name, f"{rate['median']:,.0f}", f"{rate['median'] / base:.2f}x")
    Console().print(adapters)
    if args.json:
        write_results(args.json, results, threads=None)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
