"""Helpers shared by the tools."""

from __future__ import annotations

from typing import Any

import yaml

from metta_lit.core.packaged import find_config
from metta_lit.env import MettaGridConfig, env_config


def resolve_env(config: str) -> tuple[str, dict[str, Any]]:
    """An env name, env YAML, or training YAML (its model's env) -> (env, env_overrides)."""
    path = find_config(config)
    if path.suffix in (".yaml", ".yml") and path.exists():
        data = yaml.safe_load(path.read_text()) or {}
        if "model" in data:
            init = data["model"].get("init_args", {})
            return init.get("env", "arena"), init.get("env_overrides") or {}
    return config, {}


def load_env(config: str) -> MettaGridConfig:
    env, overrides = resolve_env(config)
    return env_config(env).with_overrides(overrides)
