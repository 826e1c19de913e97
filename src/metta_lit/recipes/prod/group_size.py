"""Group size as the variable: a commons (one regrowing chest of hearts) shared by 2, 4 or 8
agents, the size drawn per episode by a learning-progress curriculum in one run
(configs/commons_groups.yaml; the env holds 8 agent slots and leaves the unused ones out of
the loss and the metrics).

Hypothesis: per-capita hearts fall with group size faster than the chest's fixed regrowth
alone explains, because larger groups empty the chest sooner and leave less to regrow (the
tragedy of the commons deepens with the number sharing it). Training logs each size's reward,
hearts and ``coop/commons_left`` / ``coop/commons_regrown`` under ``by_agents/<n>/``; the
experiment compares the sizes with intervals over seeds.
"""

from __future__ import annotations

from metta_lit.recipe_api import EvaluateTool, ExperimentTool, PlayTool, ReplayTool, TrainTool
from metta_lit.recipe_api.standard import evaluate_tool, play_tool, replay_tool, train_tool

CONFIG = "configs/commons_groups.yaml"


def train(total_timesteps: int = 10_000_000) -> TrainTool:
    """PPO with the Fast policy; the curriculum draws the group size of each episode."""
    return train_tool(CONFIG, total_timesteps)


def evaluate(policy_uris: list[str] = ["random"]) -> EvaluateTool:  # noqa: B006 (never mutated)
    """Groups of 2, 4 and 8 into stats.duckdb."""
    return evaluate_tool(["commons_groups"], policy_uris)


def play(policy_uri: str = "random") -> PlayTool:
    return play_tool("commons_groups", policy_uri)


def replay(policy_uri: str = "random") -> ReplayTool:
    return replay_tool("commons_groups", policy_uri)


def experiment(workers: int = 1) -> ExperimentTool:
    """Groups of 2, 4 and 8 compared (configs/experiments/group_size.yaml): three seeds, each
    run scored at each size on maps no run trained on."""
    return ExperimentTool({"config": "configs/experiments/group_size.yaml", "workers": workers})
