"""``metta-lit play``: a terminal view of one env; you steer one agent, a policy (or random) the rest.

Keys: w a s d / arrows = move (the move turns you even when blocked), e = get_items,
r = put_items, f = attack_0, space or . = noop, q = quit. ``--render log`` prints frames
without reading the keyboard (all agents follow the policy), for scripts and CI.
"""

from __future__ import annotations

import argparse
import os
import sys
import termios
import tty
from typing import Any

import numpy as np
from rich.console import Console
from rich.text import Text

from metta_lit.env import MettaGridVecEnv
from metta_lit.errors import ConfigError
from metta_lit.sim.runner import PolicyHandle
from metta_lit.tools.common import load_env

# By the env's own orientation names (the native catalog defines them).
ARROWS = {
    "north": "^",
    "south": "v",
    "west": "<",
    "east": ">",
    "northwest": "\\",
    "northeast": "/",
    "southwest": "/",
    "southeast": "\\",
}
GROUP_COLORS = ["bright_cyan", "bright_magenta", "bright_green", "bright_yellow", "bright_blue", "bright_red"]
OBJECT_STYLE = {
    "wall": ("#", "grey50"),
    "block": ("s", "grey70"),
    "altar": ("_", "bold magenta"),
    "mine_red": ("m", "red"),
    "mine_blue": ("b", "blue"),
    "mine_green": ("g", "green"),
    "generator_red": ("n", "bold red"),
    "generator_blue": ("B", "bold blue"),
    "generator_green": ("G", "bold green"),
    "lasery": ("S", "bold yellow"),
    "armory": ("o", "bold white"),
    "lab": ("L", "cyan"),
    "factory": ("F", "cyan"),
    "temple": ("T", "cyan"),
}
KEYS = {
    "w": "move_north",
    "s": "move_south",
    "a": "move_west",
    "d": "move_east",
    "\x1b[A": "move_north",
    "\x1b[B": "move_south",
    "\x1b[D": "move_west",
    "\x1b[C": "move_east",
    "e": "get_items",
    "r": "put_items",
    "f": "attack_0",
    " ": "noop",
    ".": "noop",
}


def render(env: MettaGridVecEnv, controlled: int | None, width: int = 80, height: int = 30) -> Text:
    """One frame: the grid (cropped around the controlled agent if it is too big) and a status panel."""
    objects = env.grid_objects(0)
    agents = {o["agent_id"]: o for o in objects if o["type_name"] == "agent"}
    cells: dict[tuple[int, int], tuple[str, str]] = {}
    for o in objects:
        if o["type_name"] == "agent":
            style = GROUP_COLORS[o["group_id"] % len(GROUP_COLORS)]
            if o["is_frozen"]:
                style = "bold white on blue"
            if o["agent_id"] == controlled:
                style = "bold black on bright_white"
            cells[(o["r"], o["c"])] = (ARROWS[o["orientation_name"]], style)
        else:
            ch, style = OBJECT_STYLE.get(o["type_name"], ("?", "white"))
            if o.get("inventory"):
                style += " underline"  # something to get_items
            cells[(o["r"], o["c"])] = (ch, style)
    center = agents[controlled] if controlled is not None else {"r": env.map_height // 2, "c": env.map_width // 2}
    rows, cols = min(env.map_height, height), min(env.map_width, width)
    r0 = min(max(0, center["r"] - rows // 2), env.map_height - rows)
    c0 = min(max(0, center["c"] - cols // 2), env.map_width - cols)
    text = Text()
    for r in range(r0, r0 + rows):
        for c in range(c0, c0 + cols):
            ch, style = cells.get((r, c), (".", "grey23"))
            text.append(ch, style=style)
        text.append("\n")
    step, max_steps = env.current_step(0), env.config.game.max_steps
    text.append(f"step {step}/{max_steps}   team reward {float(env.episode_rewards(0).sum()):.2f}\n", style="bold")
    names = env.resource_names
    for a, o in sorted(agents.items()):
        if controlled is not None and a != controlled and len(agents) > 8:
            continue
        inv = ", ".join(f"{names[i]} {q}" for i, q in sorted(o["inventory"].items())) or "empty"
        who = "you" if a == controlled else f"agent {a}"
        last = env.action_names[o["last_action"]] if 0 <= o["last_action"] < env.num_actions else "invalid"
        text.append(
            f"{who:>8}: reward {float(env.rewards[0, a]):+.2f} total {o['episode_reward']:.2f}  "
            f"[{inv}]  last {last}{'  FROZEN' if o['is_frozen'] else ''}\n"
        )
    return text


def read_key() -> str:
    """One key press from a raw-mode terminal (arrow keys arrive as 3-byte escapes)."""
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        key = os.read(fd, 1).decode(errors="ignore")
        if key == "\x1b":
            key += os.read(fd, 2).decode(errors="ignore")
        return key
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


def play(
    config: str,
    policy_uri: str = "random",
    render_mode: str = "tui",
    steps: int | None = None,
    agent: int = 0,
    seed: int = 0,
    console: Console | None = None,
) -> dict[str, Any]:
    if steps is not None and steps < 1:
        raise ConfigError(f"--steps: must be >= 1, got {steps}")
    if render_mode == "tui" and not sys.stdin.isatty():
        raise ConfigError("play --render tui needs a terminal; use --render log for scripts")
    console = console or Console(highlight=False)
    env = MettaGridVecEnv(load_env(config), num_envs=1, seed=seed)
    if not 0 <= agent < env.num_agents:
        raise ConfigError(f"--agent {agent}: the env has agents 0..{env.num_agents - 1}")
    handle = PolicyHandle.from_uri(policy_uri)
    if handle.policy is not None:
        handle.policy.initialize_to_environment(env.feature_spec, env.action_names)
        handle.policy.reset_memory()
    ids = {name: i for i, name in enumerate(env.action_names)}
    rng = np.random.default_rng(seed)
    obs = env.reset()
    done = np.zeros((1, env.num_agents), dtype=bool)
    limit = steps or env.config.game.max_steps
    controlled = agent if render_mode == "tui" else None
    for _ in range(limit):
        if render_mode == "tui":
            console.clear()
        console.print(render(env, controlled, *(console.size if render_mode == "tui" else (80, 40))))
        actions = handle.act(obs, done, rng, env.num_actions).astype(np.int32)
        if controlled is not None:
            key = read_key()
            while key not in KEYS and key not in ("q", "\x03") or (key in KEYS and KEYS[key] not in ids):
                key = read_key()
            if key in ("q", "\x03"):
                break
            actions[0, controlled] = ids[KEYS[key]]
        obs, _, terminals, truncations = env.step(actions)
        done = np.repeat((terminals | truncations).all(1, keepdims=True), env.num_agents, 1)
        if done.any():
            break
    console.print(render(env, controlled))
    stats = env.episode_stats(0)
    console.print(
        f"episode over after {env.current_step(0)} steps; rewards per agent: "
        f"{np.round(env.episode_rewards(0), 2).tolist()}"
    )
    return stats


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="metta-lit play", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--config", required=True, help="env name, env YAML, or training YAML")
    p.add_argument("--policy_uri", default="random", help="drives the other agents: a policy URI or 'random'")
    p.add_argument("--render", choices=["tui", "log"], default="tui")
    p.add_argument("--steps", type=int, default=None, help="stop after this many steps (default: max_steps)")
    p.add_argument("--agent", type=int, default=0, help="the agent you steer")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    play(a.config, a.policy_uri, a.render, a.steps, a.agent, a.seed)
