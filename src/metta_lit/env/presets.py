"""Named environments shipped in ``configs/env/`` (arena, navigation, perf)."""

from __future__ import annotations

import os
from pathlib import Path

from metta_lit.env.config import MettaGridConfig

# configs/ sits at the repository root; METTA_LIT_CONFIG_DIR points elsewhere (installed use).
CONFIG_DIR = Path(os.environ.get("METTA_LIT_CONFIG_DIR", Path(__file__).resolve().parents[3] / "configs"))


def env_config(name: str) -> MettaGridConfig:
    """Loads ``configs/env/<name>.yaml`` (or a YAML path)."""
    path = Path(name)
    if path.suffix not in (".yaml", ".yml"):
        path = CONFIG_DIR / "env" / f"{name}.yaml"
    if not path.exists():
        available = sorted(p.stem for p in (CONFIG_DIR / "env").glob("*.yaml"))
        raise FileNotFoundError(f"no env config {name!r} at {path} (available: {', '.join(available)})")
    return MettaGridConfig.from_yaml(path)
