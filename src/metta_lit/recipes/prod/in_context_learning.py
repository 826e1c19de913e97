"""In-context learning: which ore the generator takes is drawn per episode and never shown, so
a policy must discover the recipe within the episode (configs/env/in_context.yaml).

The learning-progress curriculum draws each episode's recipes: the generator's ore and the
altar's input (a battery, so the chain has two links, or an ore of some colour, so it has one),
and whether the agent starts with one ore of each colour in hand: 24 tasks in all. A policy
that learned one colour scores on a third of the episodes; one that discovers the recipe
scores on all of them, which the simulations of configs/sims/in_context.yaml (one per colour
and chain length, empty-handed, on maps training never sees) show side by side.

The ore-in-hand lessons are a first rung: the agent only has to find the converter that takes
one of its ores, as object_use's lessons start with a battery in hand. Without them the
recipe's first hearts came late and at a seed-dependent time: seed 1 was still at random at
2.3M agent steps, and with them it left random by 1M (docs/learning.md).
"""

from __future__ import annotations

from metta_lit.recipe_api import EvaluateTool, ExperimentTool, PlayTool, ReplayTool, TrainTool
from metta_lit.recipe_api.standard import evaluate_tool, play_tool, replay_tool, train_tool

CONFIG = "configs/in_context.yaml"
LESSONS = {
    "game.objects.generator_red.input_resources": [{"ore_red": 1}, {"ore_blue": 1}, {"ore_green": 1}],
    "game.objects.altar.input_resources": [{"battery_red": 1}, {"ore_red": 1}, {"ore_blue": 1}, {"ore_green": 1}],
    "game.agent.initial_inventory": [{}, {"ore_red": 1, "ore_blue": 1, "ore_green": 1}],
}


def train(total_timesteps: int = 10_000_000) -> TrainTool:
    """PPO with the Fast policy (its LSTM carries what was tried); each episode's recipe drawn
    by the curriculum."""
    return train_tool(CONFIG, total_timesteps, LESSONS)


def evaluate(policy_uris: list[str] = ["random"]) -> EvaluateTool:  # noqa: B006 (never mutated)
    """One simulation per recipe colour into stats.duckdb."""
    return evaluate_tool(["in_context"], policy_uris)


def play(policy_uri: str = "random") -> PlayTool:
    return play_tool("in_context", policy_uri)


def replay(policy_uri: str = "random") -> ReplayTool:
    return replay_tool("in_context", policy_uri)


def experiment(workers: int = 1) -> ExperimentTool:
    """The lessons question (configs/experiments/in_context_lessons.yaml): the curriculum with and
    without its ore-in-hand lessons, three seeds each at 4M agent steps, scored empty-handed on
    every colour."""
    return ExperimentTool({"config": "configs/experiments/in_context_lessons.yaml", "workers": workers})
