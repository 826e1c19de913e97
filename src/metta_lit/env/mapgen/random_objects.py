"""``random_objects``: objects and agents at random empty cells (the arena's instances)."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from metta_lit.env.mapgen.base import MAX_SIDE, Scene, agent_cells, free_cells, place

# No map holds more cells than the native limit allows; a count past it cannot fit anywhere,
# so it is refused while the config is read rather than when a list of that many names is built.
Count = Annotated[int, Field(ge=0, le=MAX_SIDE * MAX_SIDE)]


class RandomObjects(Scene):
    type: Literal["random_objects"] = "random_objects"
    objects: dict[str, Count] = {}
    agents: Count | dict[str, Count] = 0

    def render(self, grid: np.ndarray, rng: np.random.Generator) -> None:
        agents = self.agents if isinstance(self.agents, int) else sum(self.agents.values())
        wanted, cells = sum(self.objects.values()) + agents, len(free_cells(grid))
        if wanted > cells:  # before a list of names is built for them
            raise self.fail(f"{wanted} objects and agents do not fit in {cells} free cells")
        names = [name for name, count in self.objects.items() for _ in range(count)]
        place(self, grid, names + agent_cells(self.agents), rng)
