"""``spiral``: a corridor winding inwards from the outer edge to the centre."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from metta_lit.env.mapgen.base import EMPTY, WALL, Scene


class Spiral(Scene):
    type: Literal["spiral"] = "spiral"
    corridor_width: int = Field(default=1, ge=1)

    def render(self, grid: np.ndarray, rng: np.random.Generator) -> None:
        h, w = grid.shape
        cw, step = self.corridor_width, self.corridor_width + 1
        if min(h, w) < 2 + cw:
            raise self.fail(f"a {w}x{h} area holds no corridor of width {cw}")
        grid[:] = WALL
        # Ring by ring: along the top, down the right, back along the bottom, up the left to
        # the next ring's top row, then into it; rings are one wall apart.
        t, left, b, r = 1, 1, h - 1 - cw, w - 1 - cw  # the ring's corridor cells (top-left of each run)
        while t <= b and left <= r:
            grid[t : t + cw, left : r + cw] = EMPTY
            if b - t < step:
                break
            grid[t : b + cw, r : r + cw] = EMPTY
            grid[b : b + cw, left : r + cw] = EMPTY
            if b - t < 2 * step or r - left < 2 * step:
                break
            grid[t + step : b + cw, left : left + cw] = EMPTY
            grid[t + step : t + step + cw, left : left + step + cw] = EMPTY
            t, left, b, r = t + step, left + step, b - step, r - step
