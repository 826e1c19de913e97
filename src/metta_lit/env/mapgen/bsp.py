"""``bsp``: binary space partition: the area is split recursively into ``rooms`` leaves, a room
is carved in each, and sibling subtrees are joined by L-shaped corridors."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from metta_lit.env.mapgen.base import EMPTY, WALL, Scene

Box = tuple[int, int, int, int]  # top, left, height, width


class BSP(Scene):
    type: Literal["bsp"] = "bsp"
    rooms: int = Field(default=6, ge=1)
    min_room: int = Field(default=3, ge=1)

    def split(self, box: Box, leaves: int, rng: np.random.Generator) -> list[Box]:
        if leaves == 1:
            return [box]
        top, left, h, w = box
        left_leaves = leaves // 2
        need = 2 * (self.min_room + 2)  # a room and a wall on each side of each half
        vertical = w >= h if (w >= need) == (h >= need) else w >= need
        size = w if vertical else h
        if size < need:
            raise self.fail(f"{self.rooms} rooms of at least {self.min_room} cells do not fit (a part is {w}x{h})")
        # Near the share of the leaves each side holds, so neither side is left too small for
        # its own splits; the jitter of a sixth of the side keeps the rooms from lining up. Both
        # ends stay within [need // 2, size - need // 2], where each side fits a room.
        share = size * left_leaves // leaves
        low = min(max(need // 2, share - size // 6), size - need // 2)
        high = max(min(size - need // 2, share + size // 6), need // 2)
        cut = int(rng.integers(low, high + 1))
        first, second = (
            ((top, left, h, cut), (top, left + cut, h, w - cut))
            if vertical
            else (
                (top, left, cut, w),
                (top + cut, left, h - cut, w),
            )
        )
        return self.split(first, left_leaves, rng) + self.split(second, leaves - left_leaves, rng)

    def render(self, grid: np.ndarray, rng: np.random.Generator) -> None:
        grid[:] = WALL
        h, w = grid.shape
        centres = []
        for top, left, bh, bw in self.split((0, 0, h, w), self.rooms, rng):
            rh = int(rng.integers(self.min_room, bh - 1)) if bh - 2 > self.min_room else bh - 2
            rw = int(rng.integers(self.min_room, bw - 1)) if bw - 2 > self.min_room else bw - 2
            r = top + 1 + int(rng.integers(0, bh - 1 - rh))
            c = left + 1 + int(rng.integers(0, bw - 1 - rw))
            grid[r : r + rh, c : c + rw] = EMPTY
            centres.append((r + rh // 2, c + rw // 2))
        for (r0, c0), (r1, c1) in zip(centres, centres[1:], strict=False):  # leaves in tree order
            grid[min(r0, r1) : max(r0, r1) + 1, c0] = EMPTY
            grid[r1, min(c0, c1) : max(c0, c1) + 1] = EMPTY
