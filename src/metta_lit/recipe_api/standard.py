"""The evaluate / play / replay / analyze tools most recipes share, configured per env."""

from __future__ import annotations

from typing import Any

from metta_lit.recipe_api.tools import AnalyzeTool, EvaluateTool, PlayTool, ReplayTool, TrainTool


def train_tool(config: str, total_timesteps: int, buckets: dict[str, list[Any]] | None = None) -> TrainTool:
    """Training from a config file for ``total_timesteps``; with ``buckets``, each episode's task
    is drawn by the learning-progress curriculum over them."""
    tool = TrainTool.from_yaml(config)
    model = tool.config["model"]["init_args"]
    model["total_timesteps"] = total_timesteps
    if buckets:
        model["curriculum"] = {
            "class_path": "metta_lit.curriculum.LearningProgressCurriculum",
            "init_args": {"buckets": buckets},
        }
    return tool


def evaluate_tool(simulations: list[str], policy_uris: list[str], stats_db: str = "stats.duckdb") -> EvaluateTool:
    return EvaluateTool({"policy_uris": list(policy_uris), "simulations": list(simulations), "stats_db": stats_db})


def play_tool(env: str, policy_uri: str = "random") -> PlayTool:
    return PlayTool({"config": env, "policy_uri": policy_uri, "render": "tui"})


def replay_tool(env: str, policy_uri: str = "random") -> ReplayTool:
    return ReplayTool({"config": env, "policy_uri": policy_uri, "replay_dir": "replays"})


def analyze_tool(stats_db: str = "stats.duckdb") -> AnalyzeTool:
    return AnalyzeTool({"stats_db": stats_db})
