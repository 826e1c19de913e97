#!/usr/bin/env python
"""Map generation cost: the arena's 62x62 map (4 instances of 25x25 random objects inside a
6-cell border) made by scenes in Python, against stepping one arena episode (1000 steps) in
the native env. Prints a table and optionally writes JSON.

    python scripts/bench_mapgen.py --repeats 20 --json bench_results/mapgen.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from metta_lit.env import MettaGridVecEnv, env_config
from metta_lit.env.mapgen import generate, parse_scene

ARENA_SCENE = {
    "type": "layout",
    "children": [
        {
            "scene": {
                "type": "instances",
                "count": 4,
                "border_width": 0,
                "scene": {
                    "type": "random_objects",
                    "objects": {"wall": 10, "altar": 5, "mine_red": 10, "generator_red": 5, "lasery": 1, "armory": 1},
                    "agents": 6,
                },
            },
            "where": {"x": 6, "y": 6, "width": 50, "height": 50},
        }
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    scene = parse_scene(ARENA_SCENE)  # parsed once, as a game's map builder does
    generate(scene, 62, 62, 0)
    started = time.perf_counter()
    for seed in range(args.repeats):
        generate(scene, 62, 62, seed)
    generation = (time.perf_counter() - started) / args.repeats

    env = MettaGridVecEnv(env_config("arena"), num_envs=1, seed=0)
    env.reset()
    actions = np.random.default_rng(0).integers(0, env.num_actions, size=(1000, 1, env.num_agents), dtype=np.int32)
    started = time.perf_counter()
    for step in actions:
        env.step(step)
    episode = time.perf_counter() - started

    results = {"generation_s": generation, "episode_stepping_s": episode, "share": generation / episode}
    table = Table(title="The arena's 62x62 map by scenes vs one 1000-step arena episode")
    for column in ("map generation", "episode stepping", "generation / episode"):
        table.add_column(column, justify="right")
    table.add_row(f"{generation * 1000:.1f} ms", f"{episode * 1000:.1f} ms", f"{100 * generation / episode:.1f}%")
    Console().print(table)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
