"""``metta-lit play``: a terminal view of one env; you steer one agent, a policy (or random) the rest.

Keys: w a s d / arrows = move (the move turns you even when blocked), e = get_items,
r = put_items, f = attack_0, space or . = noop, q = quit. ``--render log`` prints frames
without reading the keyboard (all agents follow the policy), for scripts and CI.
"""

from __future__ import annotations

import os
import sys
import termios
import tty
from typing import Any, Literal

import numpy as np
from rich.console import Console
from rich.text import Text

from metta_lit.core.errors import ConfigError
from metta_lit.env import MettaGridVecEnv
from metta_lit.env.controls import KEYS
from metta_lit.env.presets import load_env

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


def draw(env: MettaGridVecEnv, controlled: int | None, width: int = 80, height: int = 30) -> Text:
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
    render: Literal["tui", "log"] = "tui",
    steps: int | None = None,
    agent: int = 0,
    seed: int = 0,
    console: Console | None = None,
) -> dict[str, Any]:
    """Steer one agent in the terminal while a policy (or random) drives the others.

    Args:
        config: env name, env YAML, or training YAML (its model's env)
        policy_uri: drives the other agents: a policy URI, 'random' or 'scripted'
        render: 'tui' reads the keyboard; 'log' prints frames and lets the policy drive
            every agent (scripts, CI)
        steps: stop after this many steps (default: the episode's 'max_steps')
        agent: the agent you steer
        seed: seed of the map and of the sampled actions
        console: where frames are drawn (Python callers)

    Returns:
        the episode's stats ('{"game": ..., "agent": [...]}')
    """
    import torch  # loads torch: not needed for --help

    from metta_lit.evaluation.runner import PolicyHandle
    from metta_lit.rl.acting import act, acting_env
    from metta_lit.rl.torch_env import MettaGridTorchEnv

    if steps is not None and steps < 1:
        raise ConfigError(f"--steps: must be >= 1, got {steps}")
    if render == "tui" and not sys.stdin.isatty():
        raise ConfigError("play --render tui needs a terminal; use --render log for scripts")
    console = console or Console(highlight=False)
    base = MettaGridTorchEnv(load_env(config), num_envs=1, seed=seed)
    vec = base.vec
    if not 0 <= agent < vec.num_agents:
        raise ConfigError(f"--agent {agent}: the env has agents 0..{vec.num_agents - 1}")
    policy = PolicyHandle.from_uri(policy_uri).for_env(base, vec.config, seed)
    env, actor = acting_env(base, [(policy, vec.num_agents)])
    ids = {name: i for i, name in enumerate(vec.action_names)}
    limit = steps or vec.config.game.max_steps
    controlled = agent if render == "tui" else None
    size = console.size if render == "tui" else (80, 40)
    taken = 0

    def frame(td) -> bool:
        """Shows the grid, then lets the keyboard replace the controlled agent's action."""
        nonlocal taken
        if render == "tui":
            console.clear()
        console.print(draw(vec, controlled, *size))
        if controlled is not None:
            key = read_key()
            while key not in KEYS and key not in ("q", "\x03") or (key in KEYS and KEYS[key] not in ids):
                key = read_key()
            if key in ("q", "\x03"):
                return False
            td["action"][0, controlled] = ids[KEYS[key]]
        taken += 1
        return True

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        act(env, actor, until=lambda: taken >= limit or bool(base.finished_episodes), before_step=frame)
    console.print(draw(vec, controlled))
    stats = vec.episode_stats(0)
    console.print(
        f"episode over after {vec.current_step(0)} steps; rewards per agent: "
        f"{np.round(vec.episode_rewards(0), 2).tolist()}"
    )
    env.close()
    return stats
