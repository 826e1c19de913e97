"""The arena: 24 agents on a 62x62 map, hearts the only reward (configs/arena.yaml)."""

from __future__ import annotations

from metta_lit.recipe_api import AnalyzeTool, EvaluateTool, PlayTool, ReplayTool, TrainTool
from metta_lit.recipe_api.standard import analyze_tool, evaluate_tool, play_tool, replay_tool


def train() -> TrainTool:
    """PPO with the Fast policy on the arena (configs/arena.yaml)."""
    return TrainTool.from_yaml("configs/arena.yaml")


def evaluate(policy_uris: list[str] = ["random"]) -> EvaluateTool:  # noqa: B006 (never mutated)
    """The arena simulations (basic and combat) into stats.duckdb."""
    return evaluate_tool(["arena"], policy_uris)


def play(policy_uri: str = "random") -> PlayTool:
    """Steer an agent in the terminal."""
    return play_tool("arena", policy_uri)


def replay(policy_uri: str = "random") -> ReplayTool:
    """One episode written as a replay."""
    return replay_tool("arena", policy_uri)


def analyze(stats_db: str = "stats.duckdb") -> AnalyzeTool:
    """Metrics and the scorecard of an evaluation database."""
    return analyze_tool(stats_db)
