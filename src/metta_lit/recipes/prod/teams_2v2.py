"""Two teams of two on a mirrored arena, half of each reward shared within a team, attacks
possible (configs/env/teams_2v2.yaml).

Hypothesis: teammates who share reward collect more together than alone, and a team facing a
trained team earns less than one facing a random team (trained opponents compete for the same
mines and attack); the simulations ``self_play`` and ``vs_random`` measure a team's return
(``coop/team_1/return``) both ways, and ``coop/attacks_other_team`` how much they fight.
"""

from __future__ import annotations

from metta_lit.recipe_api import EvaluateTool, PlayTool, ReplayTool, TrainTool
from metta_lit.recipe_api.standard import evaluate_tool, play_tool, replay_tool, train_tool

CONFIG = "configs/teams_2v2.yaml"


def train(total_timesteps: int = 10_000_000) -> TrainTool:
    """PPO with the Fast policy; both teams are the policy being trained (self-play)."""
    return train_tool(CONFIG, total_timesteps)


def evaluate(policy_uris: list[str] = ["random"]) -> EvaluateTool:  # noqa: B006 (never mutated)
    """Self-play and against a random team into stats.duckdb."""
    return evaluate_tool(["teams_2v2"], policy_uris)


def play(policy_uri: str = "random") -> PlayTool:
    return play_tool("teams_2v2", policy_uri)


def replay(policy_uri: str = "random") -> ReplayTool:
    return replay_tool("teams_2v2", policy_uri)
