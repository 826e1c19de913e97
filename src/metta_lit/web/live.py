"""Live play: one env stepped on request, a policy (or random) acting for every agent except the
one the browser steers, and the episode recorded as a replay as it goes.

The websocket protocol (JSON messages):

- client → server: ``{"type": "step", "action": NAME | null}`` (``action`` drives the
  controlled agent for this step; null lets the policy act), ``{"type": "control", "agent":
  N | null}``, ``{"type": "inspect", "agent": N | null}`` (report that agent's policy output
  with every frame), ``{"type": "memory", "agent": N, "op": "zero" | "random" | "copy",
  "from": M}`` (change the memory its policy carries into the next step),
  ``{"type": "save"}``, ``{"type": "reset"}``;
- server → client: ``init`` (the replay header fields, all objects, the key map), ``frame``
  (the step, the objects that changed, ``done``, and ``inspection``: the inspected agent's
  action distribution at that step, its value estimate and the action taken), ``inspect`` and
  ``memory`` (acknowledgements), ``saved`` (the replay's name) and ``error``.

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
        self.inspected: int | None = None
        self.inspection: dict[str, Any] | None = None
        self.generator = torch.Generator().manual_seed(seed)  # "random" memory, repeatable per game
        self.reset()

    def reset(self) -> None:
        self.td = self.env.reset()
        self.recorder = ReplayRecorder(self.vec, 0)
        self.recorder.record()
        self.episode_id = uuid.uuid4().hex[:12]
        self.done = False
        self.inspection = None

    @property
    def step_count(self) -> int:
        return self.recorder.steps

    def _check_agent(self, agent: int | None, what: str) -> None:
        if agent is not None and (isinstance(agent, bool) or not isinstance(agent, int)):
            raise ValueError(f"{what}: agent must be an integer or null, got {agent!r}")
        if agent is not None and not 0 <= agent < self.vec.num_agents:
            raise ValueError(f"agent {agent}: the env has agents 0..{self.vec.num_agents - 1}")

    def control(self, agent: int | None) -> None:
        self._check_agent(agent, "control")
        self.controlled = agent

    def inspect(self, agent: int | None) -> None:
        """From the next step on, each frame carries this agent's policy output (None: none)."""
        self._check_agent(agent, "inspect")
        self.inspected = agent
        self.inspection = None

    @torch.no_grad()
    def set_memory(self, agent: int, op: str, source: int | None = None) -> None:
        """Changes the recurrent memory ``agent``'s policy carries into the next step: zeros
        (as at an episode start), Gaussian noise of the memory's own scale, or another agent's."""
        self._check_agent(agent, "memory")
        keys = list(self.policy.memory_shapes())
        if agent is None or not keys:
            raise ValueError(
                f"memory: {type(self.policy).__name__} keeps no memory to change"
                if not keys
                else "memory: name an agent"
            )
        if any(key not in self.td.keys() for key in keys):
            raise ValueError("memory: the policy has no memory yet; take a step first")
        if op == "copy":
            self._check_agent(source, "memory from")
            if source is None:
                raise ValueError("memory: copy needs 'from': the agent to copy")
        elif op not in ("zero", "random"):
            raise ValueError(f"memory: op must be zero, random or copy, got {op!r}")
        for key in keys:
            memory = self.td[key]
            if op == "zero":
                memory[0, agent] = 0
            elif op == "random":
                noise = torch.randn(memory[0, agent].shape, generator=self.generator)
                memory[0, agent] = noise * memory.std().clamp_min(1e-3)
            else:
                memory[0, agent] = memory[0, source]

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
        self.inspection = self._inspect(td)
        td = self.env.step(td)
        self.recorder.record(td["action"][0].numpy())
        if self.base.pop_finished_episodes():
            self.done = True
        else:
            self.td = step_mdp(td, keep_other=True, exclude_action=True, exclude_reward=True)

    def _inspect(self, td: Any) -> dict[str, Any] | None:
        """The inspected agent's action distribution and value at this step (a policy that
        writes no logits, such as random, has none to show)."""
        agent = self.inspected
        if agent is None or "logits" not in td.keys():
            return None
        probs = torch.softmax(td["logits"][0, agent].float(), dim=-1)
        value = td["state_value"][0, agent] if "state_value" in td.keys() else None
        return {
            "agent": agent,
            "step": self.step_count,
            "actions": self.vec.action_names,
            "probs": probs.tolist(),
            "value": None if value is None else float(value.reshape(-1)[0]),
            "action": self.vec.action_names[int(td["action"][0, agent])],
        }

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
        return {
            "type": "frame",
            "step": self.step_count,
            "objects": self.objects(changed_only=True),
            "done": self.done,
            "inspection": self.inspection,
        }

    def save(self, replay_dir: Path) -> str:
        """Writes the episode so far to ``replay_dir``; returns the file's name there."""
        name = f"live-{time.strftime('%Y%m%d-%H%M%S')}-{self.episode_id}.json.z"
        self.recorder.write(normalize_uri(str(replay_dir / name)), self.episode_id)
        return name

    def close(self) -> None:
        self.env.close()
