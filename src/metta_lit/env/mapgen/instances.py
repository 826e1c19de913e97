"""``instances``: ``count`` copies of a child scene in a near-square grid of areas separated by
``border_width`` walls; with ``teams``, each copy's agents are their own team (``team_1``...)."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from metta_lit.env.mapgen.base import WALL, ChildScene, Scene


class Instances(Scene):
    type: Literal["instances"] = "instances"
    scene: ChildScene
    count: int = Field(default=4, ge=1)
    border_width: int = Field(default=1, ge=0)
    teams: bool = False

    def render(self, grid: np.ndarray, rng: np.random.Generator) -> None:
        h, w = grid.shape
        cols = math.ceil(math.sqrt(self.count))
        rows = math.ceil(self.count / cols)
        b = self.border_width
        ih, iw = (h - b * (rows - 1)) // rows, (w - b * (cols - 1)) // cols
        if ih < 1 or iw < 1:
            raise self.fail(f"{self.count} instances with borders of {b} do not fit in a {w}x{h} area")
        grid[:] = WALL
        for k in range(self.count):
            r, c = divmod(k, cols)
            area = grid[r * (ih + b) : r * (ih + b) + ih, c * (iw + b) : c * (iw + b) + iw]
            area[:] = "empty"
            self.scene.render(area, rng)
            if self.teams:
                area[np.char.startswith(area, "agent.")] = f"agent.team_{k + 1}"
