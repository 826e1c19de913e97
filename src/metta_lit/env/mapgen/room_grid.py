"""``room_grid``: ``rows`` x ``columns`` rooms separated by walls, each wall between two
neighbouring rooms with a door (one empty cell at a random place along it)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from metta_lit.env.mapgen.base import EMPTY, WALL, Scene


class RoomGrid(Scene):
    type: Literal["room_grid"] = "room_grid"
    rows: int = Field(default=2, ge=1)
    columns: int = Field(default=2, ge=1)
    wall_width: int = Field(default=1, ge=1)

    def render(self, grid: np.ndarray, rng: np.random.Generator) -> None:
        h, w = grid.shape
        ww = self.wall_width
        room_h, room_w = (h - ww * (self.rows + 1)) // self.rows, (w - ww * (self.columns + 1)) // self.columns
        if room_h < 1 or room_w < 1:
            raise self.fail(
                f"{self.rows}x{self.columns} rooms with walls of {ww} do not fit in a {w}x{h} area "
                f"(each room would be {max(room_w, 0)}x{max(room_h, 0)})"
            )
        grid[:] = WALL
        top = [ww + i * (room_h + ww) for i in range(self.rows)]
        left = [ww + j * (room_w + ww) for j in range(self.columns)]
        for r in top:
            for c in left:
                grid[r : r + room_h, c : c + room_w] = EMPTY
        for i, r in enumerate(top):
            for j, c in enumerate(left):
                if j + 1 < self.columns:  # door east
                    d = r + int(rng.integers(room_h))
                    grid[d, c + room_w : c + room_w + ww] = EMPTY
                if i + 1 < self.rows:  # door south
                    d = c + int(rng.integers(room_w))
                    grid[r + room_h : r + room_h + ww, d] = EMPTY
