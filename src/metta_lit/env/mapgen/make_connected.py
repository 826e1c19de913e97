"""``make_connected``: a child scene, then walls carved so every empty cell is reachable.

Components are joined greedily: from the component holding the first empty cell, the
cheapest path (fewest walls, by 0-1 breadth-first search over walls) to any other component
is carved, until one component is left. Exact "fewest walls overall" is a Steiner-tree
problem; greedy joining is what the original does as well."""

from __future__ import annotations

from collections import deque
from typing import Literal

import numpy as np

from metta_lit.env.mapgen.base import EMPTY, WALL, ChildScene, Scene


def components(grid: np.ndarray) -> tuple[np.ndarray, int]:
    """Labels (1..count) of the 4-connected regions of non-wall cells (0: wall), and their
    count. A flood fill by hand: scipy's ``ndimage.label`` does this, but scipy is not a
    dependency, and a map has at most 255x255 cells."""
    h, w = grid.shape
    labels = np.zeros((h, w), dtype=np.int32)
    count = 0
    for r0, c0 in np.argwhere(grid != WALL):
        if labels[r0, c0]:
            continue
        count += 1
        labels[r0, c0] = count
        stack = [(int(r0), int(c0))]
        while stack:
            r, c = stack.pop()
            for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                if 0 <= nr < h and 0 <= nc < w and not labels[nr, nc] and grid[nr, nc] != WALL:
                    labels[nr, nc] = count
                    stack.append((nr, nc))
    return labels, count


class MakeConnected(Scene):
    type: Literal["make_connected"] = "make_connected"
    scene: ChildScene

    def render(self, grid: np.ndarray, rng: np.random.Generator) -> None:
        self.scene.render(grid, rng)
        labels, count = components(grid)
        while count > 1:
            self.carve(grid, labels)
            labels, count = components(grid)

    @staticmethod
    def carve(grid: np.ndarray, labels: np.ndarray) -> None:
        """Carves the path with fewest walls from component 1 to any other component."""
        h, w = grid.shape
        cost = np.full((h, w), np.iinfo(np.int32).max, dtype=np.int64)
        came: dict[tuple[int, int], tuple[int, int]] = {}
        queue: deque[tuple[int, int]] = deque()
        for r, c in np.argwhere(labels == 1):
            cost[r, c] = 0
            queue.append((int(r), int(c)))
        while queue:
            r, c = queue.popleft()
            if labels[r, c] > 1:
                while (r, c) in came:  # back to component 1, carving its walls
                    if grid[r, c] == WALL:
                        grid[r, c] = EMPTY
                    r, c = came[(r, c)]
                return
            for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                if 0 <= nr < h and 0 <= nc < w:
                    step = 1 if grid[nr, nc] == WALL else 0
                    if cost[r, c] + step < cost[nr, nc]:
                        cost[nr, nc] = cost[r, c] + step
                        came[(nr, nc)] = (r, c)
                        (queue.append if step else queue.appendleft)((nr, nc))
