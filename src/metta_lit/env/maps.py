"""ASCII map parsing: characters to cell names, with errors that name the row and column.

Parsed here (not in C++) so errors can name the row and column; the random and
instance-tiling builders run natively on every reset (their sizes are checked in
:mod:`metta_lit.env.checks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from metta_lit.core.errors import ConfigError
from metta_lit.env.library import OBJECT_LIBRARY

if TYPE_CHECKING:
    from metta_lit.env.config import GameConfig

MAX_SIDE = 255  # the native env's map limit, per side
# Objects or agents a map builder or scene places: no map holds more cells than MAX_SIDE²,
# so a larger count is refused while the config is read, before anything is built for it.
MapCount = Annotated[int, Field(ge=0, le=MAX_SIDE * MAX_SIDE)]

# Characters every ASCII map understands; objects add their own `map_char`.
DEFAULT_CHARS = {
    "#": "wall",
    ".": "empty",
    " ": "empty",
    "@": "agent.agent",
    "1": "agent.team_1",
    "2": "agent.team_2",
    "3": "agent.team_3",
    "4": "agent.team_4",
}


class MapError(ConfigError):
    """A map that cannot be built; the message names the row/column or the field (a config
    error, so the command line reports it in one line)."""


def char_table(game: GameConfig, extra: dict[str, str] | None = None) -> dict[str, str]:
    table = dict(DEFAULT_CHARS)
    for name, obj in game.objects.items():
        if obj.map_char is not None:
            table[obj.map_char] = name
    table.update(extra or {})
    return table


def resolve_group(game: GameConfig, cell_name: str) -> str | None:
    """Group for a cell name `agent.<group>`, `agent.team_<id>` or `agent.agent`/`agent.default`."""
    if not cell_name.startswith("agent."):
        return None
    key = cell_name[len("agent.") :]
    if key in game.groups:
        return key
    wanted = 0 if key in ("agent", "default") else None
    if key.startswith("team_") and key[5:].isdigit():
        wanted = int(key[5:])
    for name, group in game.groups.items():
        if wanted is not None and group.id == wanted:
            return name
    return None


def parse_ascii(game: GameConfig, rows: list[str], extra_chars: dict[str, str] | None = None) -> list[list[str]]:
    """Turns map rows into cell names, checking shape, characters and object names."""
    if not rows:
        raise MapError("map_data: the map has no rows")
    table = char_table(game, extra_chars)
    width = len(rows[0])
    grid: list[list[str]] = []
    for r, row in enumerate(rows):
        if len(row) != width:
            raise MapError(f"map_data: row {r} has {len(row)} columns, expected {width} (rows must be equal length)")
        names = []
        for c, ch in enumerate(row):
            if ch not in table:
                raise MapError(f"map_data: unknown map character {ch!r} at row {r}, column {c}{_library_hint(ch)}")
            name = table[ch]
            check_cell(game, name, f"map_data: {name!r} (character {ch!r}) at row {r}, column {c}")
            names.append(name)
        grid.append(names)
    return grid


def check_cell(game: GameConfig, name: str, where: str) -> None:
    """A cell name the game can build: empty, a configured object, or an agent of a group."""
    if name != "empty" and name not in game.objects and resolve_group(game, name) is None:
        raise MapError(f"{where} is not a configured object or group")


def check_scene_map(game: GameConfig, names: list[list[str]]) -> int:
    """Checks a generated map's cell names (each distinct name once); returns its agents."""
    seen: dict[str, tuple[int, int]] = {}
    for r, row in enumerate(names):
        for c, name in enumerate(row):
            seen.setdefault(name, (r, c))
    for name, (r, c) in seen.items():
        check_cell(game, name, f"map_builder.scene: {name!r} (first at row {r}, column {c})")
    return sum(name.startswith("agent.") for row in names for name in row)


def _library_hint(ch: str) -> str:
    """For a character of a known object the game does not configure: which one, and how."""
    name = next((n for n, spec in OBJECT_LIBRARY.items() if spec.get("map_char") == ch), None)
    return f": it is the {name}'s character, and game.objects has no {name} (configure {name}: {{}})" if name else ""
