"""Live play: one env stepped on request, a policy (or random) acting for every agent except the
one the browser steers, and the episode recorded as a replay as it goes.

The websocket protocol (JSON messages):

- client → server: ``{"type": "step", "action": NAME | null}`` (``action`` drives the
  controlled agent for this step; null lets the policy act), ``{"type": "control", "agent":
  N | null}``, ``{"type": "save"}``, ``{"type": "reset"}``;
- server → client: ``init`` (the replay header fields, all objects, the key map), ``frame``
  (the step, the objects that changed, ``done``), ``saved`` (the replay's name) and ``error``.

Objects travel in exactly the replay's field layout (:class:`~metta_lit.env.replay.ReplayRecorder`
records them), so the page draws live frames and replays with the same code.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import torch
from torchrl.envs.utils import ExplorationType, set_exploration_type, step_mdp

from metta_lit.core.files import normalize_uri
from metta_lit.env import MettaGridConfig
from metta_lit.env.controls import KEYS
from metta_lit.env.replay import ReplayRecorder
from metta_lit.policy import Policy
from metta_lit.rl.acting import acting_env
from metta_lit.rl.torch_env import MettaGridTorchEnv

# The terminal's escape sequences for the arrows, by the browser's KeyboardEvent.key names.
BROWSER_ARROWS = {"\x1b[A": "ArrowUp", "\x1b[B": "ArrowDown", "\x1b[D": "ArrowLeft", "\x1b[C": "ArrowRight"}


def browser_keys(action_names: list[str]) -> dict[str, str]:
    """``play``'s key map in the browser's key names, for the actions this env has."""
    return {BROWSER_ARROWS.get(key, key): action for key, action in KEYS.items() if action in action_names}


class LiveGame:
    """One episode of ``config`` acted by ``policy``; :meth:`step` advances it by one step."""

    def __init__(self, config: MettaGridConfig, policy: Policy, seed: int = 0) -> None:
        self.config, self.policy, self.seed = config, policy, seed
        self.base = MettaGridTorchEnv(config, num_envs=1, seed=seed)
        self.vec = self.base.vec
        self.env, self.actor = acting_env(self.base, [(policy, self.vec.num_agents)])
        self.ids = {name: i for i, name in enumerate(self.vec.action_names)}
        self.controlled: int | None = None
        self.reset()

    def reset(self) -> None:
        self.td = self.env.reset()
        self.recorder = ReplayRecorder(self.vec, 0)
        self.recorder.record()
        self.episode_id = uuid.uuid4().hex[:12]
        self.done = False

    @property
    def step_count(self) -> int:
        return self.recorder.steps

    def control(self, agent: int | None) -> None:
        if agent is not None and not 0 <= agent < self.vec.num_agents:
            raise ValueError(f"agent {agent}: the env has agents 0..{self.vec.num_agents - 1}")
        self.controlled = agent

    @torch.no_grad()
    def step(self, action: str | None = None) -> None:
        """One step; ``action`` (a name) replaces the controlled agent's sampled action."""
        if self.done:
            raise ValueError("the episode is over: reset to play another")
        if action is not None and (self.controlled is None or action not in self.ids):
            raise ValueError(f"action {action!r}: needs a controlled agent and one of {sorted(self.ids)}")
        with set_exploration_type(ExplorationType.RANDOM):
            td = self.actor(self.td)
        if action is not None:
            td["action"][0, self.controlled] = self.ids[action]
        td = self.env.step(td)
        self.recorder.record(td["action"][0].numpy())
        if self.base.pop_finished_episodes():
            self.done = True
        else:
            self.td = step_mdp(td, keep_other=True, exclude_action=True, exclude_reward=True)

    def objects(self, changed_only: bool = False) -> list[dict[str, Any]]:
        """Every object's current fields (or only those of objects that changed at this step)."""
        step = self.recorder.steps
        return [
            {key: changes[-1][1] for key, changes in series.items()}
            for series in self.recorder.series.values()
            if not changed_only or any(changes[-1][0] == step for changes in series.values())
        ]

    def header(self) -> dict[str, Any]:
        """The fields a replay starts with, plus the key map and the objects now."""
        replay = self.recorder.to_dict(self.episode_id)
        del replay["objects"], replay["mg_config"]
        return {
            **replay,
            "max_steps": self.config.game.max_steps,
            "keys": browser_keys(self.vec.action_names),
            "objects": self.objects(),
            "step": self.step_count,
        }

    def frame(self) -> dict[str, Any]:
        return {"type": "frame", "step": self.step_count, "objects": self.objects(changed_only=True), "done": self.done}

    def save(self, replay_dir: Path) -> str:
        """Writes the episode so far to ``replay_dir``; returns the file's name there."""
        name = f"live-{time.strftime('%Y%m%d-%H%M%S')}-{self.episode_id}.json.z"
        self.recorder.write(normalize_uri(str(replay_dir / name)), self.episode_id)
        return name

    def close(self) -> None:
        self.env.close()
