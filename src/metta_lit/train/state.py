"""What ``last.ckpt`` carries beyond Lightning's own state, so a resume continues exactly:
agent steps (the budget and the seeds derive from them), torch's RNG, the curriculum and the
partner pool (its snapshots of the learner)."""

from __future__ import annotations

from typing import Any

import torch

from metta_lit.curriculum import Curriculum

KEY = "metta_lit"  # the checkpoint entry


def save_state(
    checkpoint: dict[str, Any], agent_steps: int, curriculum: Curriculum | None, partners: dict[str, Any] | None = None
) -> None:
    checkpoint[KEY] = {"agent_steps": agent_steps, "torch_rng": torch.get_rng_state()}
    if curriculum is not None:
        checkpoint[KEY]["curriculum"] = curriculum.state_dict()
    if partners is not None:
        checkpoint[KEY]["partners"] = partners


def load_state(checkpoint: dict[str, Any], curriculum: Curriculum | None) -> tuple[int, dict[str, Any] | None]:
    """Restores the RNG and the curriculum; returns the agent steps (0 for an older checkpoint)
    and the partner pool's state (None: the run had none)."""
    state = checkpoint.get(KEY, {})
    if "torch_rng" in state:
        torch.set_rng_state(state["torch_rng"])
    if curriculum is not None and "curriculum" in state:
        curriculum.load_state_dict(state["curriculum"])
    return int(state.get("agent_steps", 0)), state.get("partners")
