"""``convchain``: Markov-chain sampling of a wall/empty field whose ``pattern_size`` windows
look like a small drawn sample's (Gumin's ConvChain): flips are accepted by the ratio of the
sample frequencies of the windows they change, raised to ``1 / temperature``."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from metta_lit.env.mapgen.base import EMPTY, WALL, Scene
from metta_lit.env.mapgen.patterns import sample_array, windows

DEFAULT_SAMPLE = ["#..#..", "#..###", "#.....", "####.#", "...#.#", "...#.."]


class ConvChain(Scene):
    type: Literal["convchain"] = "convchain"
    sample: list[str] = DEFAULT_SAMPLE
    pattern_size: int = Field(default=3, ge=2, le=4)
    iterations: int = Field(default=4, ge=1, le=100)  # sweeps over every cell
    temperature: float = Field(default=0.5, gt=0)

    def render(self, grid: np.ndarray, rng: np.random.Generator) -> None:
        n = self.pattern_size
        h, w = grid.shape
        codes = 1 << np.arange(n * n)
        weights = np.full(1 << (n * n), 0.1)  # unseen windows are rare, not impossible
        for window in windows(sample_array(self, self.sample), n):
            weights[int((window.ravel() * codes).sum())] += 1
        field = rng.random((h, w)) < 0.5

        def window_weight(r: int, c: int) -> float:
            """Product of the weights of every window (wrapping) that holds cell (r, c)."""
            out = 1.0
            for top in range(r - n + 1, r + 1):
                for left in range(c - n + 1, c + 1):
                    cells = field[np.ix_(np.arange(top, top + n) % h, np.arange(left, left + n) % w)]
                    out *= weights[int((cells.ravel() * codes).sum())]
            return out

        for _ in range(self.iterations * h * w):
            r, c = int(rng.integers(h)), int(rng.integers(w))
            before = window_weight(r, c)
            field[r, c] = not field[r, c]
            ratio = window_weight(r, c) / before
            if ratio < 1 and rng.random() > ratio ** (1 / self.temperature):
                field[r, c] = not field[r, c]  # rejected
        grid[:] = np.where(field, WALL, EMPTY)
