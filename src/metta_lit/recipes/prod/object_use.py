"""Object use: discover the mine -> generator -> altar chain (configs/env/object_use.yaml).

Training draws each episode's lesson with the learning-progress curriculum: what the agent
starts holding (3 batteries, 3 ore, or nothing) and which objects its room has, so the easy
lessons teach the last links of the chain first. Evaluation plays every lesson
(configs/sims/object_use.yaml), each against its random and scripted baselines in docs/evaluation.md.
"""

from __future__ import annotations

from metta_lit.recipe_api import EvaluateTool, PlayTool, ReplayTool, TrainTool
from metta_lit.recipe_api.standard import evaluate_tool, play_tool, replay_tool, train_tool

CONFIG = "configs/object_use.yaml"
LESSONS = {
    "game.agent.initial_inventory": [{"battery_red": 3}, {"ore_red": 3}, {}],
    "game.map_builder.scene.scene.scene.objects": [
        {"altar": 1, "wall": 6},
        {"generator_red": 1, "altar": 1, "wall": 6},
        {"mine_red": 1, "generator_red": 1, "altar": 1, "wall": 6},
        {"mine_red": 1, "generator_red": 1, "altar": 1, "lasery": 1, "armory": 1, "wall": 6},
    ],
}


def train(curriculum: bool = True, total_timesteps: int = 5_000_000) -> TrainTool:
    """PPO with the Fast policy; lessons from the learning-progress curriculum unless
    curriculum=false (then the whole chain every episode)."""
    return train_tool(CONFIG, total_timesteps, LESSONS if curriculum else None)


def evaluate(policy_uris: list[str] = ["random"]) -> EvaluateTool:  # noqa: B006 (never mutated)
    """Every lesson into stats.duckdb."""
    return evaluate_tool(["object_use"], policy_uris)


def play(policy_uri: str = "random") -> PlayTool:
    return play_tool("object_use", policy_uri)


def replay(policy_uri: str = "random") -> ReplayTool:
    return replay_tool("object_use", policy_uri)
