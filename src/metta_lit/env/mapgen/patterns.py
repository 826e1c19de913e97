"""What the pattern-learning scenes (``wfc``, ``convchain``) share: reading a small drawn sample
(``#`` wall, anything else empty) and its N x N windows."""

from __future__ import annotations

import numpy as np

from metta_lit.env.mapgen.base import Scene

MAX_SAMPLE = 64  # cells per side: a sample is a motif, not a map


def sample_array(scene: Scene | None, rows: list[str]) -> np.ndarray:
    """The sample as booleans (True: wall), rows padded with empty cells to equal length."""
    rows = [row for row in rows if row.strip()]
    if not rows or max(map(len, rows)) > MAX_SAMPLE or len(rows) > MAX_SAMPLE:
        message = f"the sample must have 1..{MAX_SAMPLE} rows of 1..{MAX_SAMPLE} characters"
        raise scene.fail(message) if scene else ValueError(message)
    width = max(map(len, rows))
    return np.array([[ch == "#" for ch in row.ljust(width)] for row in rows])


def windows(sample: np.ndarray, n: int) -> np.ndarray:
    """Every ``n`` x ``n`` window of the sample, wrapping around its edges: ``[k, n, n]``."""
    h, w = sample.shape
    tiled = np.pad(sample, ((0, n - 1), (0, n - 1)), mode="wrap")
    return np.array([tiled[r : r + n, c : c + n] for r in range(h) for c in range(w)])
