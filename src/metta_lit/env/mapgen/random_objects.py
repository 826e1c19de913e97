"""``random_objects``: objects and agents at random empty cells (the arena's instances)."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from metta_lit.env.mapgen.base import Scene, agent_cells, place


class RandomObjects(Scene):
    type: Literal["random_objects"] = "random_objects"
    objects: dict[str, Annotated[int, Field(ge=0)]] = {}
    agents: int | dict[str, Annotated[int, Field(ge=0)]] = 0

    def render(self, grid: np.ndarray, rng: np.random.Generator) -> None:
        names = [name for name, count in self.objects.items() for _ in range(count)]
        place(self, grid, names + agent_cells(self.agents), rng)
