"""``layout``: child scenes placed in areas of the map (the original's ``children`` + ``where``).

Each child has ``where: {x, y, width, height}`` (cells, from the top-left); later children draw
over earlier ones. An area outside the map is refused, naming the child and the numbers."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from metta_lit.env.mapgen.base import ChildScene, Scene


class Area(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    x: int = Field(ge=0)
    y: int = Field(ge=0)
    width: int = Field(ge=1)
    height: int = Field(ge=1)


class Placed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    scene: ChildScene
    where: Area


class Layout(Scene):
    type: Literal["layout"] = "layout"
    children: list[Placed] = []

    def render(self, grid: np.ndarray, rng: np.random.Generator) -> None:
        h, w = grid.shape
        for i, placed in enumerate(self.children):
            a = placed.where
            if a.x + a.width > w or a.y + a.height > h:
                raise self.fail(
                    f"child {i} ({placed.scene.type}): area {a.width}x{a.height} at ({a.x}, {a.y}) "
                    f"leaves the {w}x{h} map"
                )
            placed.scene.render(grid[a.y : a.y + a.height, a.x : a.x + a.width], rng)
