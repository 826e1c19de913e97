"""The MettaGrid environment: typed config, map parsing, and the native vectorized env."""

from metta_lit.env.config import (
    OBJECT_LIBRARY,
    ActionsConfig,
    AgentConfig,
    AgentRewards,
    AsciiMapBuilder,
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
from metta_lit.env.vec_env import EnvTask, MettaGridVecEnv, load_config

__all__ = [
    "OBJECT_LIBRARY",
    "ActionsConfig",
    "AgentConfig",
    "AgentRewards",
    "AsciiMapBuilder",
    "CONFIG_DIR",
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
