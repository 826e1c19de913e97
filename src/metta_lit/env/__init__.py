"""The MettaGrid environment: typed config, map parsing, and the native vectorized env.

The native env's names (``MettaGridVecEnv``, ``EnvTask``, ``load_config``) load the compiled
module on first use (PEP 562), so code that only reads configs (a policy file, the web app)
does not load it.
"""

from metta_lit.env.config import (
    OBJECT_LIBRARY,
    ActionsConfig,
    AgentConfig,
    AgentRewards,
    AsciiMapBuilder,
    AssemblerConfig,
    AssemblerRecipe,
    ChestConfig,
    ConverterConfig,
    GameConfig,
    GroupConfig,
    MapGenBuilder,
    MettaGridConfig,
    RandomMapBuilder,
    RandomScene,
    WallConfig,
)
from metta_lit.env.maps import MapError
from metta_lit.env.presets import CONFIG_DIR, env_config

__all__ = [
    "OBJECT_LIBRARY",
    "ActionsConfig",
    "AgentConfig",
    "AgentRewards",
    "AsciiMapBuilder",
    "AssemblerConfig",
    "AssemblerRecipe",
    "CONFIG_DIR",
    "ChestConfig",
    "EnvTask",
    "ConverterConfig",
    "GameConfig",
    "GroupConfig",
    "MapError",
    "MapGenBuilder",
    "MettaGridConfig",
    "MettaGridVecEnv",
    "RandomMapBuilder",
    "RandomScene",
    "WallConfig",
    "env_config",
    "load_config",
]

NATIVE_NAMES = {"EnvTask", "MettaGridVecEnv", "load_config"}


def __getattr__(name: str) -> object:
    if name in NATIVE_NAMES:
        from metta_lit.env import vec_env

        return getattr(vec_env, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
