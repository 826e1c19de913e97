"""``radial_maze``: ``arms`` straight corridors from the centre to the edge (a radial-arm maze,
the classic memory task), everything else wall."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from metta_lit.env.mapgen.base import EMPTY, WALL, Scene


class RadialMaze(Scene):
    type: Literal["radial_maze"] = "radial_maze"
    arms: int = Field(default=8, ge=2, le=64)
    arm_width: int = Field(default=1, ge=1)

    def render(self, grid: np.ndarray, rng: np.random.Generator) -> None:
        h, w = grid.shape
        radius = min(h, w) // 2 - 1
        if radius < 2:
            raise self.fail(f"a {w}x{h} area is too small for arms (need at least 6x6)")
        grid[:] = WALL
        cr, cc = h // 2, w // 2
        half = self.arm_width // 2

        def carve(r: int, c: int) -> None:
            grid[max(r - half, 0) : r - half + self.arm_width, max(c - half, 0) : c - half + self.arm_width] = EMPTY

        for k in range(self.arms):
            angle = 2 * math.pi * k / self.arms
            previous = (cr, cc)
            for step in range(radius + 1):
                r, c = round(cr + step * math.sin(angle)), round(cc + step * math.cos(angle))
                if r != previous[0] and c != previous[1]:
                    carve(previous[0], c)  # agents move in 4 directions: a diagonal step needs a corner
                carve(r, c)
                previous = (r, c)
