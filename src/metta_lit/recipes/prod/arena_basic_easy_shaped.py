"""The easy shaped arena with the learning-progress curriculum (the original's release recipe).

The env is ``configs/env/arena_easy.yaml``: the arena with the original's "easy" altar
(1 battery_red -> 1 heart instead of 3) and shaped inventory rewards (heart 1, ore_red 0.1,
battery_red 0.8, laser 0.5, armor 0.5, blueprint 0.5). An item's reward is
``min(count x rate, cap)`` with the cap from ``inventory_max`` (1 for all but hearts, 100),
so the cap bounds what holding an item is *worth*, not how many may be held: a second ore
adds 0.1, an eleventh nothing. The altar matters because of that cap: with 3 batteries per
heart, making a heart gives up a capped battery reward of 1.0 for a heart worth 1.0, a
trade worth nothing when it is made, and Fast + PPO plateaus at ~0.03 hearts per
agent-episode; with 1 battery a heart is worth +0.2 at once and the same run learns hearts.

The curriculum's buckets are the original's for this recipe: the rewards of ore, battery,
laser and armor in {0, .1, .5, .9, 1} with caps in {1, 2}, attacks on or priced out (laser
cost 1 or 100), and buildings that start stocked with one output or empty (mine, generator,
altar, lasery, armory): a stocked building hands out its item at once, the original's
exploration hint towards hearts. Its training metrics count those handed-out hearts, so
the curriculum is judged on the fixed env (validation and the ``arena_easy`` sims), never on
its own training episodes. Evaluation plays the same env: ``arena_easy/basic`` (attacks
priced out) and ``arena_easy/combat``.
"""

from __future__ import annotations

from typing import Any

from metta_lit.recipe_api import EvaluateTool, ExperimentTool, PlayTool, ReplayTool, TrainTool
from metta_lit.recipe_api.standard import evaluate_tool, play_tool, replay_tool, train_tool

CONFIG = "configs/arena_easy.yaml"
ENV = "arena_easy"
BUDGET = 10_000_000  # agent steps: ~15 min on 2 CPU cores (the original trains 100M-2B on GPUs)
RESOURCES = ("ore_red", "battery_red", "laser", "armor")
BUILDINGS = ("mine_red", "generator_red", "altar", "lasery", "armory")
# The original's buckets for this recipe (arena_basic_easy_shaped.make_curriculum).
ARENA_EASY_BUCKETS: dict[str, list[Any]] = {
    **{f"game.agent.rewards.inventory.{r}": [0, 0.1, 0.5, 0.9, 1] for r in RESOURCES},
    **{f"game.agent.rewards.inventory_max.{r}": [1, 2] for r in RESOURCES},
    "game.actions.attack.consumed_resources.laser": [1, 100],
    **{f"game.objects.{b}.initial_resource_count": [0, 1] for b in BUILDINGS},
}


def train(curriculum: bool = True) -> TrainTool:
    """The easy shaped arena for 10M agent steps; with the learning-progress curriculum unless
    curriculum=false (then it is ``configs/arena_easy.yaml`` with the longer budget)."""
    return train_tool(CONFIG, BUDGET, ARENA_EASY_BUCKETS if curriculum else None)


def evaluate(policy_uris: list[str] = ["random"]) -> EvaluateTool:  # noqa: B006 (never mutated)
    """The easy arena's simulations (arena_easy/basic and arena_easy/combat) into stats.duckdb."""
    return evaluate_tool([ENV], policy_uris)


def play(policy_uri: str = "random") -> PlayTool:
    """Steer an agent of the easy arena in the terminal."""
    return play_tool(ENV, policy_uri)


def replay(policy_uri: str = "random") -> ReplayTool:
    """One episode of the easy arena written as a replay."""
    return replay_tool(ENV, policy_uri)


def experiment(workers: int = 1) -> ExperimentTool:
    """The curriculum question (configs/experiments/arena_curriculum.yaml): this recipe with and
    without its curriculum, three seeds each at 10M agent steps, scored on the fixed easy arena."""
    return ExperimentTool({"config": "configs/experiments/arena_curriculum.yaml", "workers": workers})
