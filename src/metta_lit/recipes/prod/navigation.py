"""Navigation: 4 agents collect hearts from altars that never refill (configs/navigation.yaml)."""

from __future__ import annotations

from metta_lit.recipe_api import EvaluateTool, PlayTool, ReplayTool, TrainTool
from metta_lit.recipe_api.standard import evaluate_tool, play_tool, replay_tool


def train() -> TrainTool:
    """PPO with the Fast policy on navigation (configs/navigation.yaml)."""
    return TrainTool.from_yaml("configs/navigation.yaml")


def evaluate(policy_uris: list[str] = ["random"]) -> EvaluateTool:  # noqa: B006 (never mutated)
    """The navigation simulations and the named maps (navigation_maps) into stats.duckdb."""
    return evaluate_tool(["navigation", "navigation_maps"], policy_uris)


def play(policy_uri: str = "random") -> PlayTool:
    """Steer an agent in the terminal."""
    return play_tool("navigation", policy_uri)


def replay(policy_uri: str = "random") -> ReplayTool:
    """One episode written as a replay."""
    return replay_tool("navigation", policy_uri)
