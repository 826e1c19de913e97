"""Decay schedules over a run: the learning rate's, PPO's entropy coefficient's and clip range's.

A schedule is a function of the run's progress in agent steps (the budget's unit), so a value
does not depend on the batch size or the number of ranks.
"""

from __future__ import annotations

import math
from typing import Literal

Schedule = Literal["constant", "linear", "cosine"]


def progress(agent_steps: int, total_timesteps: int) -> float:
    """The fraction of the run's budget done, in [0, 1]."""
    return min(1.0, agent_steps / max(1, total_timesteps))


def scale(schedule: Schedule, done: float) -> float:
    """The factor on a value at progress ``done``: 1 throughout (constant), or decaying to 0 at
    the budget's end, linearly or along half a cosine."""
    return {"constant": 1.0, "linear": 1.0 - done, "cosine": 0.5 * (1.0 + math.cos(math.pi * done))}[schedule]
