"""Named environments shipped in ``configs/env/`` (arena, navigation, perf)."""

from __future__ import annotations

from metta_lit.env.config import MettaGridConfig
from metta_lit.shipped import CONFIG_DIR, find_config


def env_config(name: str) -> MettaGridConfig:
    """Loads ``configs/env/<name>.yaml`` (or a YAML path)."""
    path = find_config(name)
    if path.suffix not in (".yaml", ".yml"):
        path = CONFIG_DIR / "env" / f"{name}.yaml"
    if not path.exists():
        available = sorted(p.stem for p in (CONFIG_DIR / "env").glob("*.yaml"))
        raise FileNotFoundError(f"no env config {name!r} at {path} (available: {', '.join(available)})")
    return MettaGridConfig.from_yaml(path)
