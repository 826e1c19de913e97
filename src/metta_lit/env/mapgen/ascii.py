"""``inline_ascii`` and ``ascii_file``: a drawn map (the original's header-free ``.map`` format),
placed at the top-left of the area. Characters are the maps' defaults plus each library
object's own (``_`` altar, ``m`` mine_red…); an unknown one is named with its line and column."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from metta_lit.core.packaged import CONFIG_DIR
from metta_lit.env.library import OBJECT_LIBRARY
from metta_lit.env.mapgen.base import CELL, Scene, check_names
from metta_lit.env.maps import DEFAULT_CHARS

MAX_MAP_FILE_BYTES = 1 << 20  # a 255x255 map is 65 KB
CHARS = {**DEFAULT_CHARS, **{spec["map_char"]: name for name, spec in OBJECT_LIBRARY.items() if "map_char" in spec}}


def parse_rows(scene: Scene, rows: list[str], extra: dict[str, str]) -> np.ndarray:
    table = {**CHARS, **extra}
    check_names(scene, set(extra.values()))
    rows = [row.rstrip("\n") for row in rows if row.strip()]
    if not rows:
        raise scene.fail("the map has no rows")
    width = max(len(row) for row in rows)
    out = np.full((len(rows), width), "empty", dtype=CELL)
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            if ch not in table:
                raise scene.fail(f"unknown map character {ch!r} at line {r + 1}, column {c + 1}")
            out[r, c] = table[ch]
    return out


def stamp(scene: Scene, grid: np.ndarray, drawn: np.ndarray) -> None:
    h, w = drawn.shape
    if h > grid.shape[0] or w > grid.shape[1]:
        raise scene.fail(f"a {w}x{h} map does not fit in a {grid.shape[1]}x{grid.shape[0]} area")
    grid[:h, :w] = drawn


class InlineAscii(Scene):
    type: Literal["inline_ascii"] = "inline_ascii"
    data: str | list[str]
    char_to_name: dict[str, str] = {}

    def render(self, grid: np.ndarray, rng: np.random.Generator) -> None:
        rows = self.data.splitlines() if isinstance(self.data, str) else list(self.data)
        stamp(self, grid, parse_rows(self, rows, self.char_to_name))


class AsciiFile(Scene):
    """``path``: a map file; a bare name is looked up in the shipped ``configs/maps/``."""

    type: Literal["ascii_file"] = "ascii_file"
    path: str
    char_to_name: dict[str, str] = {}

    def render(self, grid: np.ndarray, rng: np.random.Generator) -> None:
        stamp(self, grid, self.drawn())

    def drawn(self) -> np.ndarray:
        """The file's map as cell names, at its own size."""
        path = Path(self.path)
        if not path.exists() and not path.is_absolute():
            path = CONFIG_DIR / "maps" / self.path
        if not path.is_file():
            raise self.fail(f"no map file {self.path!r} (looked in . and {CONFIG_DIR / 'maps'})")
        with open(path, "rb") as f:  # bounded while reading
            data = f.read(MAX_MAP_FILE_BYTES + 1)
        if len(data) > MAX_MAP_FILE_BYTES:
            raise self.fail(f"{path.name}: larger than {MAX_MAP_FILE_BYTES:,} bytes")
        return parse_rows(self, data.decode("utf-8", errors="replace").splitlines(), self.char_to_name)
