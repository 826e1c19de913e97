"""``random_objects``: objects and agents at random empty cells (the arena's instances)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from metta_lit.env.mapgen.base import Scene, agent_counts, place
from metta_lit.env.maps import MapCount


class RandomObjects(Scene):
    type: Literal["random_objects"] = "random_objects"
    objects: dict[str, MapCount] = {}
    agents: MapCount | dict[str, MapCount] = 0

    def render(self, grid: np.ndarray, rng: np.random.Generator) -> None:
        place(self, grid, [*self.objects.items(), *agent_counts(self.agents)], rng)
