"""The scene contract, the registry of scene types, and what scenes share (free cells, placing)."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Mapping
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from metta_lit.core.errors import ConfigError, closest, validation_message
from metta_lit.env.maps import MAX_SIDE, MapError

EMPTY, WALL = "empty", "wall"
MAX_DEPTH = 32  # mappings inside a scene config (scenes in scenes, their fields); shipped maps nest <= 4
NAME_LENGTH = 24  # characters of a cell name: numpy stores names in fixed-width cells
CELL = f"<U{NAME_LENGTH}"


class SceneError(MapError):
    """A scene that cannot make what it is asked to; the message names the scene and the numbers."""


class Scene(BaseModel):
    """Fills ``grid`` (a view of the map, cell names) in place; subclasses set ``type``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: str

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        name = cls.model_fields["type"].default
        if isinstance(name, str):
            SCENES[name] = cls

    def render(self, grid: np.ndarray, rng: np.random.Generator) -> None:
        raise NotImplementedError

    def fail(self, message: str) -> SceneError:
        return SceneError(f"scene {self.type!r}: {message}")


SCENES: dict[str, type[Scene]] = {}


@functools.cache
def load_scene_modules() -> None:
    import metta_lit.env.mapgen as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name != "base":
            importlib.import_module(f"{package.__name__}.{info.name}")


def parse_scene(data: Scene | Mapping[str, Any]) -> Scene:
    """A scene from its config mapping (``type`` picks the class); errors name the type or field."""
    if isinstance(data, Scene):
        return data
    if not isinstance(data, Mapping) or "type" not in data:
        raise ConfigError(f"scene: expected a mapping with a 'type', got {data!r:.80}")
    if _depth(data) > MAX_DEPTH:  # checked before validating: each level is a recursive call
        raise ConfigError(f"scene {data['type']!r}: a scene config nested more than {MAX_DEPTH} mappings deep")
    load_scene_modules()
    kind = data["type"]
    if kind not in SCENES:
        near = ", ".join(closest(str(kind), SCENES)) or "none"
        raise ConfigError(f"scene: unknown type {kind!r} (closest: {near}; scenes: {', '.join(sorted(SCENES))})")
    try:
        return SCENES[kind].model_validate(dict(data))
    except ValidationError as e:
        raise ConfigError(validation_message(e, f"scene {kind!r}")) from None


def _depth(data: Any) -> int:
    """How many mappings deep ``data`` nests (walked with a stack, so any depth is measured)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, Mapping) else node if isinstance(node, list) else ()
        if isinstance(node, Mapping):
            deepest = max(deepest, depth)
        stack.extend((child, depth + isinstance(node, Mapping)) for child in children)
    return deepest


def generate(scene: Scene | Mapping[str, Any], width: int, height: int, seed: int = 0) -> np.ndarray:
    """The ``height`` x ``width`` map a scene makes from ``seed``; sizes past the native limit
    are refused before anything is allocated."""
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise SceneError(f"map {width}x{height}: each side must be 1..{MAX_SIDE} (the native env's limit)")
    grid = np.full((height, width), EMPTY, dtype=CELL)
    parse_scene(scene).render(grid, np.random.default_rng(seed))
    return grid


def free_cells(grid: np.ndarray) -> np.ndarray:
    """``[n, 2]`` (row, column) of the empty cells."""
    return np.argwhere(grid == EMPTY)


def check_names(scene: Scene, names: set[str]) -> None:
    """Names fit a cell (numpy would cut a longer one silently)."""
    for name in names:
        if len(name) > NAME_LENGTH:
            raise scene.fail(f"the cell name {name[:40]!r} is longer than {NAME_LENGTH} characters")


def place(scene: Scene, grid: np.ndarray, counts: list[tuple[str, int]], rng: np.random.Generator) -> None:
    """Puts ``n`` of each ``(name, n)`` on random empty cells, one each, in order; too few
    cells is an error, raised before a list of that many names is built."""
    check_names(scene, {name for name, n in counts if n})
    cells = free_cells(grid)
    wanted = sum(n for _, n in counts)
    if wanted > len(cells):
        raise scene.fail(f"{wanted} objects and agents do not fit in {len(cells)} free cells")
    names = [name for name, n in counts for _ in range(n)]
    for name, k in zip(names, rng.permutation(len(cells))[:wanted], strict=True):
        grid[tuple(cells[k])] = name


def agent_counts(agents: int | Mapping[str, int]) -> list[tuple[str, int]]:
    """Cell names of agents and how many: ``n`` default agents, or ``{group: n}``."""
    if isinstance(agents, int):
        return [("agent.agent", agents)]
    return [(f"agent.{group}", n) for group, n in agents.items()]


# The type of a field holding a child scene: its mapping becomes the scene its ``type`` names.
ChildScene = Annotated[Any, BeforeValidator(parse_scene)]
