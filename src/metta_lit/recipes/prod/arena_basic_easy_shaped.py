"""The arena with shaped rewards and a learning-progress curriculum (the original's release recipe).

Shaped rewards: inventory rewards heart 1, ore_red 0.1, battery_red 0.8, laser 0.5, armor
0.5, each capped (``inventory_max``) at 1 except hearts (100). Without a curriculum, Fast +
PPO on 2 CPU cores plateaus near 0.03 hearts per agent-episode: agents learn to hold one
capped ore and battery (1.8 reward) rather than spend them on hearts. The curriculum
varies exactly those incentives per episode (the original's arena buckets) and plays the
variants whose score is changing.
"""

from __future__ import annotations

from typing import Any

from metta_lit.recipe import TrainTool
from metta_lit.recipes.prod.arena import evaluate, play, replay

__all__ = ["evaluate", "play", "replay", "train"]  # evaluated, played and replayed as the arena

RESOURCES = ("ore_red", "battery_red", "laser", "armor")
SHAPED_REWARDS: dict[str, Any] = {
    "game.agent.rewards.inventory": {"heart": 1, "ore_red": 0.1, "battery_red": 0.8, "laser": 0.5, "armor": 0.5},
    "game.agent.rewards.inventory_max": {"heart": 100, **dict.fromkeys(RESOURCES, 1)},
}
# The original arena curriculum's buckets (experiments/recipes/arena.py).
ARENA_BUCKETS: dict[str, list[Any]] = {
    **{f"game.agent.rewards.inventory.{r}": [0, 0.1, 0.5, 0.9, 1] for r in RESOURCES},
    **{f"game.agent.rewards.inventory_max.{r}": [1, 2] for r in RESOURCES},
    "game.actions.attack.consumed_resources.laser": [1, 100],
    "game.agent.initial_inventory.ore_red": [0, 1, 3],
    "game.agent.initial_inventory.battery_red": [0, 3],
}


def train(curriculum: bool = True) -> TrainTool:
    """The arena with shaped rewards; with the learning-progress curriculum unless curriculum=false."""
    tool = TrainTool.from_yaml("configs/arena.yaml")
    model = tool.config["model"]["init_args"]
    model["env_overrides"] = dict(SHAPED_REWARDS)
    model["total_timesteps"] = 10_000_000
    if curriculum:
        model["curriculum"] = {
            "class_path": "metta_lit.curriculum.LearningProgressCurriculum",
            "init_args": {"buckets": ARENA_BUCKETS},
        }
    return tool
