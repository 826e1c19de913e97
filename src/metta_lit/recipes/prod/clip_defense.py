"""Defending stations together: stations get clipped, spreading to their neighbours, and a
clipped station gives nothing until two agents repair it (configs/env/clip_defense.yaml).

Hypothesis: a team that pools its reward learns to answer a clip by meeting at the station,
although the pair that repairs is paid no more than the teammates who keep collecting
elsewhere; a trained team's repairs per episode are many times a random team's and its hearts
hold up as the clips spread. Training logs ``coop/clips`` and ``coop/repairs`` per episode.
"""

from __future__ import annotations

from metta_lit.recipe_api import EvaluateTool, PlayTool, ReplayTool, TrainTool
from metta_lit.recipe_api.standard import evaluate_tool, play_tool, replay_tool, train_tool

CONFIG = "configs/clip_defense.yaml"


def train(total_timesteps: int = 10_000_000) -> TrainTool:
    """PPO with the Fast policy on the field."""
    return train_tool(CONFIG, total_timesteps)


def evaluate(policy_uris: list[str] = ["random", "scripted"]) -> EvaluateTool:  # noqa: B006 (never mutated)
    """The field into stats.duckdb, against the random and the scripted team."""
    return evaluate_tool(["clip_defense"], policy_uris)


def play(policy_uri: str = "scripted") -> PlayTool:
    return play_tool("clip_defense", policy_uri)


def replay(policy_uri: str = "scripted") -> ReplayTool:
    return replay_tool("clip_defense", policy_uri)
