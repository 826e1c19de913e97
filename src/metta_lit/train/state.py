"""What ``last.ckpt`` carries beyond Lightning's own state, so a resume continues exactly:
agent steps (the budget and the seeds derive from them), the curriculum, the partner pool (its
snapshots of the learner) and each rank's rollouts (envs mid-episode, the collector's carried
step, the random streams: see ``Rollouts.save_state``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from metta_lit.curriculum import Curriculum

KEY = "metta_lit"  # the checkpoint entry


@dataclass
class RunState:
    """What :func:`load_state` hands back to the module."""

    agent_steps: int  # 0 for a checkpoint older than the field
    partners: dict[str, Any] | None  # the partner pool's state (None: the run had none)
    rollouts: list[dict[str, Any] | None] | None  # per rank (None: an older checkpoint)


def save_state(
    checkpoint: dict[str, Any],
    agent_steps: int,
    curriculum: Curriculum | None,
    partners: dict[str, Any] | None,
    rollouts: list[dict[str, Any] | None],
) -> None:
    checkpoint[KEY] = {"agent_steps": agent_steps, "rollouts": rollouts}
    if curriculum is not None:
        checkpoint[KEY]["curriculum"] = curriculum.state_dict()
    if partners is not None:
        checkpoint[KEY]["partners"] = partners


def load_state(checkpoint: dict[str, Any], curriculum: Curriculum | None) -> RunState:
    """Restores the curriculum (rank 0's, which a run with another world size keeps) and
    returns the rest for the module to apply once its rollouts exist."""
    state = checkpoint.get(KEY, {})
    if curriculum is not None and "curriculum" in state:
        curriculum.load_state_dict(state["curriculum"])
    return RunState(int(state.get("agent_steps", 0)), state.get("partners"), state.get("rollouts"))
