"""``wfc``: wave function collapse (the overlapping model) from a small drawn sample: every
``pattern_size`` window of the map is one of the sample's, with their frequencies.

Cells are collapsed lowest-entropy first (ties at random) and each choice is propagated to
the neighbours' possible patterns; a contradiction restarts, up to ``attempts`` times."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from metta_lit.env.mapgen.base import EMPTY, WALL, Scene
from metta_lit.env.mapgen.patterns import sample_array, windows

STEPS = ((0, 1), (1, 0), (0, -1), (-1, 0))
DEFAULT_SAMPLE = ["#.###", "#...#", "#.#.#", "....#", "###.#"]


class WFC(Scene):
    type: Literal["wfc"] = "wfc"
    sample: list[str] = DEFAULT_SAMPLE
    pattern_size: int = Field(default=3, ge=2, le=4)
    attempts: int = Field(default=10, ge=1, le=100)

    def render(self, grid: np.ndarray, rng: np.random.Generator) -> None:
        n = self.pattern_size
        all_windows = windows(sample_array(self, self.sample), n)
        patterns, counts = np.unique(all_windows, axis=0, return_counts=True)
        h, w = grid.shape
        if h < n or w < n:
            raise self.fail(f"a {w}x{h} area is smaller than the {n}x{n} patterns")
        # fits[d][i, j]: pattern j may sit one step along STEPS[d] from pattern i (their overlap agrees).
        fits = []
        for dr, dc in STEPS:
            a = patterns[:, max(dr, 0) : n + min(dr, 0), max(dc, 0) : n + min(dc, 0)]
            b = patterns[:, max(-dr, 0) : n + min(-dr, 0), max(-dc, 0) : n + min(-dc, 0)]
            fits.append((a[:, None] == b[None, :]).all(axis=(2, 3)))
        weights = counts / counts.sum()
        for _ in range(self.attempts):
            wave = self.collapse((h - n + 1, w - n + 1), fits, weights, rng)
            if wave is not None:
                chosen = patterns[wave.argmax(axis=2)]  # [rows, cols, n, n]
                walls = np.zeros((h, w), dtype=bool)
                walls[: h - n + 1, : w - n + 1] = chosen[:, :, 0, 0]
                walls[h - n + 1 :, : w - n + 1] = chosen[-1, :, 1:, 0].T
                walls[: h - n + 1, w - n + 1 :] = chosen[:, -1, 0, 1:]
                walls[h - n + 1 :, w - n + 1 :] = chosen[-1, -1, 1:, 1:]
                grid[:] = np.where(walls, WALL, EMPTY)
                return
        raise self.fail(f"no map without contradiction in {self.attempts} attempts (a sample with more variety helps)")

    @staticmethod
    def collapse(
        shape: tuple[int, int], fits: list[np.ndarray], weights: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray | None:
        """The wave ``[rows, cols, patterns]`` with one pattern per position, or None."""
        wave = np.ones((*shape, len(weights)), dtype=bool)
        while True:
            options = wave.sum(axis=2)
            if (options == 0).any():
                return None
            open_cells = np.argwhere(options > 1)
            if len(open_cells) == 0:
                return wave
            entropy = options[tuple(open_cells.T)] + rng.random(len(open_cells)) * 0.1
            r, c = open_cells[entropy.argmin()]
            p = wave[r, c] * weights
            wave[r, c] = False
            wave[r, c, rng.choice(len(weights), p=p / p.sum())] = True
            stack = [(r, c)]
            while stack:
                r, c = stack.pop()
                for d, (dr, dc) in enumerate(STEPS):
                    nr, nc = r + dr, c + dc
                    if 0 <= nr < shape[0] and 0 <= nc < shape[1]:
                        allowed = fits[d][wave[r, c]].any(axis=0)
                        narrowed = wave[nr, nc] & allowed
                        if not np.array_equal(narrowed, wave[nr, nc]):
                            wave[nr, nc] = narrowed
                            if not narrowed.any():
                                return None
                            stack.append((nr, nc))
