"""Signalling required: hearts only from an assembler whose protocol needs two agents beside it
showing different vibes (configs/env/vibe_assembler.yaml).

Hypothesis: two agents of a team who share half of each reward learn not only to meet at their
room's assembler, as in coop_assembler, but to show complementary vibes there (one ``up``, the
other ``down``): a convention neither can keep alone. A trained pair's protocol uses are many
times a random pair's, and its vibes change with purpose. Training logs the uses as
``coop/assembler/protocol_0_uses`` and the vibe changes as ``coop/vibe_changes`` (per episode).
"""

from __future__ import annotations

from metta_lit.recipe_api import EvaluateTool, PlayTool, ReplayTool, TrainTool
from metta_lit.recipe_api.standard import evaluate_tool, play_tool, replay_tool, train_tool

CONFIG = "configs/vibe_assembler.yaml"


def train(total_timesteps: int = 10_000_000) -> TrainTool:
    """PPO with the Fast policy on the pairs' rooms."""
    return train_tool(CONFIG, total_timesteps)


def evaluate(policy_uris: list[str] = ["random", "scripted"]) -> EvaluateTool:  # noqa: B006 (never mutated)
    """The pairs' rooms into stats.duckdb, against the random and the scripted pair."""
    return evaluate_tool(["vibe_assembler"], policy_uris)


def play(policy_uri: str = "scripted") -> PlayTool:
    return play_tool("vibe_assembler", policy_uri)


def replay(policy_uri: str = "scripted") -> ReplayTool:
    return replay_tool("vibe_assembler", policy_uri)
