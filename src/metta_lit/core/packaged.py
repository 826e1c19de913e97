"""The configs shipped inside the package (``metta_lit/configs``), and finding them from anywhere.

They are package data, so a non-editable ``pip install .`` has them too; the repository's
top-level ``configs/`` is a link to the same folder. ``METTA_LIT_CONFIG_DIR`` points elsewhere.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

CONFIG_DIR = Path(os.environ.get("METTA_LIT_CONFIG_DIR") or str(resources.files("metta_lit").joinpath("configs")))


def find_config(path: str | Path) -> Path:
    """``path`` if it exists; else the shipped file it names (``configs/arena.yaml`` or
    ``arena.yaml`` from any working directory); else ``path`` unchanged, for the caller to report."""
    given = Path(path)
    if given.exists() or given.is_absolute():
        return given
    relative = Path(*given.parts[1:]) if given.parts[:1] == ("configs",) else given
    shipped = CONFIG_DIR / relative
    return shipped if relative.parts and shipped.exists() else given
