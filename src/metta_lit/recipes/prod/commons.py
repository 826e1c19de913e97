"""A commons dilemma: four agents, each paid for its own hearts, share one chest of hearts that
regrows in proportion to what is left (configs/env/commons.yaml).

Hypothesis: agents trained each for itself over-harvest: they learn to take hearts as fast as
they can, empty the chest early and end with less regrowth (``env_game/chest.heart.regrown``)
and less left (``env_game/chest.heart.amount``) than a sustaining schedule would leave, the
tragedy of the commons; reward sharing (``game.reward_sharing`` between the four teams) is the
lever to test against it.
"""

from __future__ import annotations

from metta_lit.recipe_api import EvaluateTool, PlayTool, ReplayTool, TrainTool
from metta_lit.recipe_api.standard import evaluate_tool, play_tool, replay_tool, train_tool

CONFIG = "configs/commons.yaml"


def train(total_timesteps: int = 10_000_000) -> TrainTool:
    """PPO with the Fast policy; every agent is the policy being trained."""
    return train_tool(CONFIG, total_timesteps)


def evaluate(policy_uris: list[str] = ["random"]) -> EvaluateTool:  # noqa: B006 (never mutated)
    """The commons into stats.duckdb."""
    return evaluate_tool(["commons"], policy_uris)


def play(policy_uri: str = "random") -> PlayTool:
    return play_tool("commons", policy_uri)


def replay(policy_uri: str = "random") -> ReplayTool:
    return replay_tool("commons", policy_uri)
