"""Cooperation required: hearts only from an assembler that needs two agents beside it
(configs/env/coop_assembler.yaml).

Hypothesis: two agents of a team who share half of each reward learn to meet at their room's
assembler and take turns using it, although neither can score alone; a trained pair's uses of
the assembler with two agents beside it are many times a random pair's. Training logs the
count as ``env_game/assembler.uses.agents_2`` (per episode), and docs/cooperation.md states the run's
result against random.
"""

from __future__ import annotations

from metta_lit.recipe_api import EvaluateTool, ExperimentTool, PlayTool, ReplayTool, TrainTool
from metta_lit.recipe_api.standard import evaluate_tool, play_tool, replay_tool, train_tool

CONFIG = "configs/coop_assembler.yaml"


def train(total_timesteps: int = 10_000_000) -> TrainTool:
    """PPO with the Fast policy on the pairs' rooms."""
    return train_tool(CONFIG, total_timesteps)


def evaluate(policy_uris: list[str] = ["random"]) -> EvaluateTool:  # noqa: B006 (never mutated)
    """The pairs' rooms into stats.duckdb."""
    return evaluate_tool(["coop_assembler"], policy_uris)


def play(policy_uri: str = "random") -> PlayTool:
    return play_tool("coop_assembler", policy_uri)


def replay(policy_uri: str = "random") -> ReplayTool:
    return replay_tool("coop_assembler", policy_uri)


def experiment(workers: int = 1) -> ExperimentTool:
    """The reward-sharing question (configs/experiments/reward_sharing.yaml): group_reward_pct
    0 / 0.5 / 1, five seeds each, scored on maps no run trained on."""
    return ExperimentTool({"config": "configs/experiments/reward_sharing.yaml", "workers": workers})
