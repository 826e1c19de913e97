"""``mirror``: a child scene drawn in one half (or quarter) and reflected, for fair team maps.
Agent cells take the team of their copy: ``agent.team_1`` in the drawn part becomes
``agent.team_2`` in the first reflection (and 3, 4 in a four-way map) when ``teams`` is set."""

from __future__ import annotations

from typing import Literal

import numpy as np

from metta_lit.env.mapgen.base import ChildScene, Scene


class Mirror(Scene):
    type: Literal["mirror"] = "mirror"
    scene: ChildScene
    symmetry: Literal["horizontal", "vertical", "four_way"] = "horizontal"
    teams: bool = False  # give each copy's agents their own team (team_1, team_2, ...)

    def render(self, grid: np.ndarray, rng: np.random.Generator) -> None:
        h, w = grid.shape
        part_h = (h + 1) // 2 if self.symmetry in ("vertical", "four_way") else h
        part_w = (w + 1) // 2 if self.symmetry in ("horizontal", "four_way") else w
        part = grid[:part_h, :part_w]
        self.scene.render(part, rng)
        drawn = part.copy()
        copies = {"horizontal": [(False, True)], "vertical": [(True, False)]}.get(
            self.symmetry, [(False, True), (True, False), (True, True)]
        )
        for team, (flip_rows, flip_cols) in enumerate(copies, start=2):
            copy = drawn[::-1] if flip_rows else drawn
            copy = copy[:, ::-1] if flip_cols else copy
            if self.teams:
                copy = np.where(np.char.startswith(copy, "agent."), f"agent.team_{team}", copy)
            rows = slice(h - part_h, h) if flip_rows else slice(0, part_h)
            cols = slice(w - part_w, w) if flip_cols else slice(0, part_w)
            grid[rows, cols] = copy
        if self.teams:
            grid[:part_h, :part_w] = np.where(np.char.startswith(drawn, "agent."), "agent.team_1", drawn)
