"""``maze``: a perfect maze (one path between any two cells), by randomized Kruskal or
depth-first search, with corridors and walls of a given width."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from metta_lit.env.mapgen.base import EMPTY, WALL, Scene


class Maze(Scene):
    type: Literal["maze"] = "maze"
    algorithm: Literal["kruskal", "dfs"] = "kruskal"
    corridor_width: int = Field(default=1, ge=1)
    wall_width: int = Field(default=1, ge=1)

    def cells(self, grid: np.ndarray) -> tuple[int, int]:
        """Maze cells per row and column that fit (walls around and between them)."""
        step = self.corridor_width + self.wall_width
        rows, cols = (grid.shape[0] - self.wall_width) // step, (grid.shape[1] - self.wall_width) // step
        if rows < 1 or cols < 1:
            raise self.fail(
                f"a {grid.shape[1]}x{grid.shape[0]} area holds no cell of corridor {self.corridor_width} "
                f"between walls of {self.wall_width}"
            )
        return rows, cols

    def passages(self, rows: int, cols: int, rng: np.random.Generator) -> list[tuple[int, int]]:
        """The removed walls, as pairs of cell indices (``r * cols + c``)."""
        if self.algorithm == "kruskal":
            edges = [(i, i + 1) for i in range(rows * cols) if (i + 1) % cols]
            edges += [(i, i + cols) for i in range(rows * cols - cols)]
            parent = list(range(rows * cols))

            def root(i: int) -> int:
                while parent[i] != i:
                    parent[i] = parent[parent[i]]
                    i = parent[i]
                return i

            out = []
            for k in rng.permutation(len(edges)):
                a, b = edges[k]
                ra, rb = root(a), root(b)
                if ra != rb:
                    parent[ra] = rb
                    out.append((a, b))
            return out
        seen, stack, out = {0}, [0], []
        while stack:
            i = stack[-1]
            r, c = divmod(i, cols)
            near = [
                j
                for j, ok in ((i - cols, r > 0), (i + cols, r < rows - 1), (i - 1, c > 0), (i + 1, c < cols - 1))
                if ok and j not in seen
            ]
            if not near:
                stack.pop()
                continue
            j = near[rng.integers(len(near))]
            seen.add(j)
            out.append((i, j))
            stack.append(j)
        return out

    def render(self, grid: np.ndarray, rng: np.random.Generator) -> None:
        rows, cols = self.cells(grid)
        grid[:] = WALL
        cw, step = self.corridor_width, self.corridor_width + self.wall_width

        def corner(i: int) -> tuple[int, int]:
            r, c = divmod(i, cols)
            return self.wall_width + r * step, self.wall_width + c * step

        for i in range(rows * cols):
            r, c = corner(i)
            grid[r : r + cw, c : c + cw] = EMPTY
        for a, b in self.passages(rows, cols, rng):
            (r0, c0), (r1, c1) = corner(min(a, b)), corner(max(a, b))
            grid[r0 : r1 + cw, c0 : c1 + cw] = EMPTY
