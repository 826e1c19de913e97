"""``metta-lit map show``: a world drawn before training on it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

# Drawing colours by cell kind (RGB 0..1); an agent takes its team's.
COLOURS = {"empty": (0.96, 0.96, 0.94), "wall": (0.25, 0.25, 0.28)}
TEAM_COLOURS = [(0.85, 0.2, 0.2), (0.2, 0.4, 0.85), (0.2, 0.65, 0.3), (0.85, 0.6, 0.1), (0.55, 0.3, 0.7)]
OBJECT_COLOUR = (0.85, 0.75, 0.35)


def map(  # noqa: A001 (the command is `metta-lit map`)
    action: Literal["show"],
    config: str,
    seed: int = 0,
    width: int = 25,
    height: int = 25,
    png: str | None = None,
) -> list[str]:
    """Print a generated map (and draw it with --png): the map an env makes at reset with this seed.

    Args:
        action: show
        config: an env name or YAML, a training YAML (its env), a .map file, or a scene YAML (a mapping with 'type')
        seed: the map's seed
        width: a scene's width (scene YAMLs and .map files only)
        height: a scene's height (scene YAMLs and .map files only)
        png: also draw the map to this PNG file
    """
    from metta_lit.env.vec_env import check_seed

    names, own_chars = map_names(config, check_seed(seed, "--seed"), width, height)
    chars = {**legend(), **own_chars}
    rows = ["".join(chars.get(name, agent_char(name)) for name in row) for row in names]
    print("\n".join(rows), flush=True)
    if png:
        draw(names, png)
        print(f"drawn to {png}", flush=True)
    return rows


map.positional = True  # its required arguments are positional: `metta-lit map show CONFIG`


def map_names(config: str, seed: int, width: int, height: int) -> tuple[list[list[str]], dict[str, str]]:
    """The cell names of the map ``config`` makes with ``seed``, and the characters of an env's
    own objects (an env may draw objects the library does not know)."""
    from metta_lit.core.files import read_yaml
    from metta_lit.env.mapgen import generate
    from metta_lit.env.mapgen.ascii import AsciiFile

    path = Path(config)
    if path.suffix == ".map":
        return AsciiFile(path=config).drawn().tolist(), {}
    if path.suffix in (".yaml", ".yml") and path.is_file():
        data = read_yaml(path)
        if isinstance(data, dict) and "type" in data and "game" not in data and "model" not in data:
            return generate(data, width, height, seed).tolist(), {}
    from metta_lit.env import MettaGridVecEnv
    from metta_lit.env.presets import load_env

    game = load_env(config).game
    env = MettaGridVecEnv(game, num_envs=1, seed=seed)
    env.reset()
    return env.initial_map(0), {name: spec.map_char for name, spec in game.objects.items() if spec.map_char}


def legend() -> dict[str, str]:
    """Cell name -> character, as maps are written (``#`` wall, ``_`` altar, ``m`` mine_red...)."""
    from metta_lit.env.library import OBJECT_LIBRARY

    chars = {"empty": ".", "wall": "#", "agent.agent": "@", "agent.default": "@"}
    chars.update({name: spec["map_char"] for name, spec in OBJECT_LIBRARY.items() if "map_char" in spec})
    return chars


def agent_char(name: str) -> str:
    """``agent.team_2`` -> ``2``; other agent groups ``@``; anything else ``?``."""
    if name.startswith("agent.team_") and name[-1].isdigit():
        return name[-1]
    return "@" if name.startswith("agent.") else "?"


def draw(names: list[list[str]], png: str) -> None:
    import matplotlib

    from metta_lit.core.files import save_figure

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    def colour(name: str) -> tuple[float, float, float]:
        if name.startswith("agent."):
            team = agent_char(name)
            return TEAM_COLOURS[int(team) % len(TEAM_COLOURS) if team.isdigit() else 0]
        return COLOURS.get(name, OBJECT_COLOUR)

    image = np.array([[colour(name) for name in row] for row in names])
    h, w = image.shape[:2]
    fig, ax = plt.subplots(figsize=(max(2.0, w / 8), max(2.0, h / 8)))
    ax.imshow(image, interpolation="nearest")
    ax.set_axis_off()
    save_figure(fig, png, bbox_inches="tight", dpi=100)
