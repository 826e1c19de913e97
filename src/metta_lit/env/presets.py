"""Named environments shipped in ``configs/env/`` (arena, arena_easy, navigation, perf).

An env file is either a whole config (``label`` + ``game``) or a variant of another one:
``base: NAME`` plus ``overrides`` (dotted keys, as ``env_overrides`` elsewhere) and its own
``label``. A variant states only what differs, so the arena and its easy shaped form
cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from metta_lit.core.errors import ConfigError, closest
from metta_lit.core.files import read_yaml
from metta_lit.core.packaged import CONFIG_DIR, find_config
from metta_lit.env.config import MettaGridConfig

MAX_BASE_DEPTH = 8  # variants of variants; deeper is a loop (``base`` naming itself)


def env_path(name: str) -> Path:
    """The YAML file of a named env (``arena``) or of a path."""
    path = find_config(name)
    if path.suffix not in (".yaml", ".yml"):
        path = CONFIG_DIR / "env" / f"{name}.yaml"
    if not path.exists():
        available = sorted(p.stem for p in (CONFIG_DIR / "env").glob("*.yaml"))
        near = closest(Path(name).stem, available)
        hint = f"closest: {', '.join(near)}; " if near else ""
        raise FileNotFoundError(f"no env config {name!r} at {path} ({hint}available: {', '.join(available)})")
    return path


def env_config(name: str, _depth: int = 0) -> MettaGridConfig:
    """Loads ``configs/env/<name>.yaml`` (or a YAML path), resolving ``base`` variants."""
    path = env_path(name)
    data = read_yaml(path, "env config")
    if not isinstance(data, dict) or "base" not in data:
        return MettaGridConfig.from_data(data, path)  # the file, read once
    if _depth >= MAX_BASE_DEPTH:
        raise ConfigError(f"{path}: 'base' chain deeper than {MAX_BASE_DEPTH} (a variant that bases on itself?)")
    extra = sorted(set(data) - {"base", "overrides", "label"})
    if extra:
        raise ConfigError(f"{path}: a variant (with 'base') takes only 'base', 'label' and 'overrides', not {extra}")
    overrides = data.get("overrides") or {}
    if not isinstance(overrides, dict) or not isinstance(data["base"], str):
        raise ConfigError(f"{path}: 'base' must be an env name and 'overrides' a mapping of dotted keys")
    return env_config(data["base"], _depth + 1).with_overrides({**overrides, "label": data.get("label", path.stem)})


def resolve_env(config: str) -> tuple[str, dict[str, Any]]:
    """The env a command's ``--config`` names: an env name, an env YAML, or a training YAML (its
    model's env and ``env_overrides``) -> (env, env_overrides)."""
    path = find_config(config)
    if path.suffix in (".yaml", ".yml") and path.exists():
        data = read_yaml(path) or {}
        if isinstance(data, dict) and isinstance(data.get("model"), dict):
            init = data["model"].get("init_args", {})
            return init.get("env", "arena"), init.get("env_overrides") or {}
    return config, {}


def load_env(config: str) -> MettaGridConfig:
    """The env config :func:`resolve_env` names, overrides applied."""
    env, overrides = resolve_env(config)
    return env_config(env).with_overrides(overrides)
