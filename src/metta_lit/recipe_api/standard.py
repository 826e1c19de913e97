"""The evaluate / play / replay / analyze tools most recipes share, configured per env."""

from __future__ import annotations

from metta_lit.recipe_api.tools import AnalyzeTool, EvaluateTool, PlayTool, ReplayTool


def evaluate_tool(simulations: list[str], policy_uris: list[str], stats_db: str = "stats.duckdb") -> EvaluateTool:
    return EvaluateTool({"policy_uris": list(policy_uris), "simulations": list(simulations), "stats_db": stats_db})


def play_tool(env: str, policy_uri: str = "random") -> PlayTool:
    return PlayTool({"config": env, "policy_uri": policy_uri, "render": "tui"})


def replay_tool(env: str, policy_uri: str = "random") -> ReplayTool:
    return ReplayTool({"config": env, "policy_uri": policy_uri, "replay_dir": "replays"})


def analyze_tool(stats_db: str = "stats.duckdb") -> AnalyzeTool:
    return AnalyzeTool({"stats_db": stats_db})
