"""Navigation sequence: reach a mine, a generator and an altar in that order, remembering where
each was (configs/env/navigation_sequence.yaml).

Training rooms scatter the three kinds of object among walls; the learning-progress curriculum
draws each episode's lesson: how far along the chain the agent starts (a battery in hand, ore
in hand, or nothing) and the rooms' density, from crowded rooms where the next object is
usually in view to sparse ones where it must be found and remembered. Evaluation plays the named maps of
configs/sims/navigation_sequence.yaml, where no two objects are in view at once, so a policy
without memory (the scripted agent) rarely finishes.
"""

from __future__ import annotations

from metta_lit.recipe_api import EvaluateTool, PlayTool, ReplayTool, TrainTool
from metta_lit.recipe_api.standard import evaluate_tool, play_tool, replay_tool, train_tool

CONFIG = "configs/navigation_sequence.yaml"
LESSONS = {
    "game.agent.initial_inventory": [{"battery_red": 1}, {"ore_red": 1}, {}],
    "game.map_builder.scene.scene.scene.objects": [
        {"mine_red": 4, "generator_red": 4, "altar": 4, "wall": 10},
        {"mine_red": 2, "generator_red": 2, "altar": 2, "wall": 40},
        {"mine_red": 1, "generator_red": 1, "altar": 1, "wall": 60},
    ],
}


def train(curriculum: bool = True, total_timesteps: int = 10_000_000) -> TrainTool:
    """PPO with the Fast policy (an LSTM: the task needs memory); lessons from the
    learning-progress curriculum unless curriculum=false (then the config's rooms, from
    nothing in hand)."""
    return train_tool(CONFIG, total_timesteps, LESSONS if curriculum else None)


def evaluate(policy_uris: list[str] = ["random"]) -> EvaluateTool:  # noqa: B006 (never mutated)
    """The generated rooms and every named map into stats.duckdb."""
    return evaluate_tool(["navigation_sequence"], policy_uris)


def play(policy_uri: str = "random") -> PlayTool:
    return play_tool("navigation_sequence", policy_uri)


def replay(policy_uri: str = "random") -> ReplayTool:
    return replay_tool("navigation_sequence", policy_uri)
