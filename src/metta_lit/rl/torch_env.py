"""TorchRL ``EnvBase`` over the native vectorized MettaGrid.

Agents are a batch dimension: ``batch_size = [num_envs, num_agents]`` and one shared policy
acts for all of them. Observation tensors are ``torch.from_numpy`` views of the native
buffers; each step hands TorchRL a clone, because collectors keep every step while the
native env rewrites its buffers in place.
"""

from __future__ import annotations

import os
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tensordict import TensorDict, TensorDictBase
from torchrl.data import Categorical, Composite, Unbounded
from torchrl.envs import EnvBase

from metta_lit.curriculum import Curriculum, Task
from metta_lit.env import EnvTask, GameConfig, MettaGridConfig, MettaGridVecEnv
from metta_lit.env.replay import EpisodeReplays
from metta_lit.env.vec_env import EpisodeStats
from metta_lit.rl.cooperation import cooperation_metrics


@dataclass(frozen=True)
class EpisodeResult:
    """One finished episode of one env, read once when it ends: what training metrics,
    validation and the evaluation database are all computed from."""

    episode_id: str
    env: int
    steps: int
    rewards: np.ndarray  # float32 [agents]: each agent's episode return (the agents it placed)
    stats: EpisodeStats  # typed stats over stat_names
    stat_names: list[str]
    stat_keys: list[tuple[str, str, str]]  # typed, per stat (MettaGridVecEnv.stat_keys)
    agent_groups: list[int]  # group id of each agent
    agent_group_names: list[str]  # group (team) name of each agent
    replay_url: str | None = None
    task: str | None = None  # the curriculum task played (None: the env's own config)
    partner: str | None = None  # in training with partners: the kind of partner it was played beside

    @classmethod
    def read(
        cls,
        env: MettaGridVecEnv,
        e: int,
        episode_id: str,
        replay_url: str | None = None,
        task: str | None = None,
        partner: str | None = None,
    ) -> EpisodeResult:
        objects = env.grid_object_records(e)
        groups = objects.records["group"][objects.agents]
        group_names = [env.group_names[g] for g in groups.tolist()]
        group_ids = [env.config.game.groups[name].id for name in group_names]
        return cls(
            episode_id=episode_id,
            env=e,
            steps=env.current_step(e),
            rewards=env.episode_rewards(e).copy(),
            stats=env.episode_stat_arrays(e),
            stat_names=env.stat_names,
            stat_keys=env.stat_keys,
            agent_groups=group_ids,
            agent_group_names=group_names,
            replay_url=replay_url,
            task=task,
            partner=partner,
        )

    def agent_metrics(self) -> list[dict[str, float]]:
        """Per agent: ``reward`` (its return) and every stat it recorded (zeros omitted)."""
        names = self.stat_names
        return [
            {"reward": float(self.rewards[a]), **{names[s]: float(row[s]) for s in np.flatnonzero(row)}}
            for a, row in enumerate(self.stats.agent)
        ]

    def summary(self) -> dict[str, float]:
        """Per-agent means of the stats any agent recorded (a stat an agent lacks counts as
        zero), the game stats, the mean return and the length."""
        names, agent, game = self.stat_names, self.stats.agent, self.stats.game
        means = agent.mean(0, dtype=np.float64)
        out = {f"env_agent/{names[s]}": float(means[s]) for s in np.flatnonzero(agent.any(0))}
        out.update({f"env_game/{names[s]}": float(game[s]) for s in np.flatnonzero(game)})
        out["episode/reward"] = float(self.rewards.mean())
        out["episode/length"] = float(self.steps)
        out["episode/agents"] = float(len(self.rewards))
        out.update(self.lives())
        out.update(self.cooperation())
        return out

    def lives(self) -> dict[str, float]:
        """With deaths (``game.death``): ``life/alive_per_step`` (agents on the map, mean over
        the steps), ``life/deaths`` and ``life/respawns`` (per episode) and ``life/lifetime``
        (steps alive per life lived)."""
        column = {
            kind: s for s, (kind, _, _) in enumerate(self.stat_keys) if kind in ("steps_alive", "deaths", "respawns")
        }
        if "steps_alive" not in column:
            return {}
        alive, deaths, respawns = (
            float(self.stats.agent[:, column[k]].sum()) for k in ("steps_alive", "deaths", "respawns")
        )
        return {
            "life/alive_per_step": alive / max(self.steps, 1),
            "life/deaths": deaths,
            "life/respawns": respawns,
            "life/lifetime": alive / (len(self.rewards) + respawns),
        }

    def cooperation(self) -> dict[str, float]:
        """The episode's ``coop/*`` metrics (see :mod:`metta_lit.rl.cooperation`)."""
        return cooperation_metrics(
            self.rewards, self.agent_group_names, self.stat_keys, self.stats.agent, self.stats.game
        )


class MettaGridTorchEnv(EnvBase):
    """``num_envs`` MettaGrid envs as one TorchRL env of batch ``[num_envs, num_agents]``.

    Keys: ``observation`` uint8 ``[E, A, tokens, 3]``; ``active`` bool ``[E, A, 1]`` (a
    placed, living agent plays the slot: see :class:`~metta_lit.env.MettaGridVecEnv`; losses
    and metrics leave the other slots out); ``action`` int64 ``[E, A]`` (flat catalog);
    ``reward``/``done``/``terminated``/``truncated`` ``[E, A, 1]``. An episode ends for all
    slots of an env at once, and TorchRL's ``_reset`` mask then resets that env natively; an
    agent's death (or return) is done for that slot alone, and resets only its memory.
    Each finished episode is read once into an :class:`EpisodeResult`; they accumulate in
    :attr:`finished_episodes` until popped. With a ``replay_dir`` each episode is also written
    as a replay, except in envs whose entry of :attr:`recording` was cleared.

    With a ``curriculum``, every env that starts an episode first draws its task (the
    config's variant, compiled once and cached) and reports the episode's mean reward per
    agent to the curriculum when it ends.
    """

    # Compiled tasks kept (LRU); a task compiles in under a millisecond, plus its scene maps (0.1-5 ms each).
    TASK_CACHE = 1024

    def __init__(
        self,
        config: MettaGridConfig | GameConfig | str | Path,
        num_envs: int = 1,
        seed: int = 0,
        num_threads: int = 1,
        desync_episodes: bool = False,
        device: str | torch.device = "cpu",
        replay_dir: str | None = None,
        curriculum: Curriculum | None = None,
    ) -> None:
        self.vec = MettaGridVecEnv(config, num_envs, seed, num_threads, desync_episodes)
        self.curriculum = curriculum
        self._tasks: list[Task | None] = [None] * num_envs  # the task each env is playing
        self._task_configs: dict[int, MettaGridConfig] = {}  # env -> its task's config (for replays)
        self._compiled: OrderedDict[int, EnvTask] = OrderedDict()
        self.replay_dir = os.path.abspath(replay_dir) if replay_dir else None
        self._replays = EpisodeReplays(self.vec, self.replay_dir) if self.replay_dir else None
        batch = torch.Size([num_envs, self.vec.num_agents])
        super().__init__(device=device, batch_size=batch)
        self._obs = torch.from_numpy(self.vec.observations)
        self._rewards = torch.from_numpy(self.vec.rewards)
        self._terminals = torch.from_numpy(self.vec.terminals)
        self._truncations = torch.from_numpy(self.vec.truncations)
        self._active = torch.from_numpy(self.vec.active)
        self.finished_episodes: list[EpisodeResult] = []
        self.recording = np.ones(num_envs, dtype=bool)  # envs whose episodes are still wanted as replays
        # Called with the envs that start an episode (after their reset); returns each one's
        # partner kind (a partner pool draws who plays beside the learner, see rl.partners).
        self.on_episode_start: Callable[[list[int]], dict[int, str]] | None = None
        self._partners: list[str | None] = [None] * num_envs
        tokens = self.vec.config.game.num_observation_tokens
        self.observation_spec = Composite(
            observation=Unbounded((*batch, tokens, 3), dtype=torch.uint8, device=self.device),
            active=Categorical(2, shape=(*batch, 1), dtype=torch.bool, device=self.device),
            shape=batch,
        )
        self.action_spec = Categorical(self.vec.num_actions, shape=batch, dtype=torch.int64, device=self.device)
        self.reward_spec = Unbounded((*batch, 1), dtype=torch.float32, device=self.device)
        flag = {"n": 2, "shape": (*batch, 1), "dtype": torch.bool, "device": self.device}
        self.done_spec = Composite(
            done=Categorical(**flag), terminated=Categorical(**flag), truncated=Categorical(**flag), shape=batch
        )

    # Properties a policy needs to build itself for this env.
    @property
    def feature_spec(self) -> dict[str, dict[str, Any]]:
        return self.vec.feature_spec

    @property
    def action_names(self) -> list[str]:
        return self.vec.action_names

    def pop_finished_episodes(self) -> list[EpisodeResult]:
        out, self.finished_episodes = self.finished_episodes, []
        return out

    def save_state(self) -> dict[str, Any]:
        """Every env's episode under way (its native state, its curriculum task, its partner
        kind): what a resumed run restores to continue them exactly. Plain data (bytes, ints,
        strings), safe to load with ``weights_only``."""
        return {
            "envs": [self.vec.save_state(e) for e in range(self.vec.num_envs)],
            "tasks": [None if task is None else task.id for task in self._tasks],
            "partners": list(self._partners),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Restores :meth:`save_state` (the episodes continue from the next step; a caller
        that holds the last observations, as a collector does, restores those too)."""
        envs, tasks = state["envs"], state["tasks"]
        if len(envs) != self.vec.num_envs or len(tasks) != self.vec.num_envs:
            raise ValueError(f"the saved state holds {len(envs)} envs; this batch has {self.vec.num_envs}")
        if any(task is not None for task in tasks) and self.curriculum is None:
            raise ValueError("the saved envs play curriculum tasks, and this batch has no curriculum")
        for e, (env_state, task_id) in enumerate(zip(envs, tasks, strict=True)):
            if task_id is None:
                self.vec.load_state(e, env_state)
                self._tasks[e] = None
                continue
            task = self.curriculum.space.task(int(task_id))
            compiled = self._compile(task)
            self.vec.load_state(e, env_state, compiled)
            self._tasks[e], self._task_configs[e] = task, compiled.config
        self._partners = list(state["partners"])

    def _reset(self, tensordict: TensorDictBase | None = None, **kwargs: Any) -> TensorDictBase:
        mask = None
        if tensordict is not None and "_reset" in tensordict.keys():
            # The native env resets whole envs, whose every slot is done when their episode
            # ends; one agent's death or return (done for that slot alone) resets nothing here
            # (TorchRL resets that slot's memory).
            mask = tensordict["_reset"].reshape(self.batch_size).all(-1).cpu().numpy() & self._ended()
        if self.curriculum is not None:
            for e in range(self.vec.num_envs) if mask is None else np.flatnonzero(mask).tolist():
                self._start_task(e)
        if mask is None or mask.any():
            self.vec.reset(mask=mask)
        started = list(range(self.vec.num_envs)) if mask is None else np.flatnonzero(mask).tolist()
        if self._replays:
            self._replays.reset(started, self._task_configs)
        if self.on_episode_start is not None:
            for e, partner in self.on_episode_start(started).items():
                self._partners[e] = partner
        zeros = torch.zeros((*self.batch_size, 1), dtype=torch.bool, device=self.device)
        return TensorDict(
            {
                "observation": self._obs.to(self.device, copy=True),
                "active": self._active.unsqueeze(-1).to(self.device, copy=True),
                "done": zeros,
                "terminated": zeros.clone(),
                "truncated": zeros.clone(),
            },
            batch_size=self.batch_size,
            device=self.device,
        )

    def _step(self, tensordict: TensorDictBase) -> TensorDictBase:
        actions = tensordict["action"].to("cpu", torch.int32).numpy()
        self.vec.step(actions)
        if self._replays:
            self._replays.step(actions)
        ended = np.flatnonzero(self._ended())
        for e in ended.tolist():
            episode_id = uuid.uuid4().hex
            url = self._replays.finish(e, episode_id) if self._replays and self.recording[e] else None
            task = self._tasks[e]
            episode = EpisodeResult.read(self.vec, e, episode_id, url, task.name if task else None, self._partners[e])
            self.finished_episodes.append(episode)
            if task is not None:
                self.curriculum.update(task, float(episode.rewards.mean()))
        terminated = self._terminals.unsqueeze(-1).to(self.device, copy=True)
        truncated = self._truncations.unsqueeze(-1).to(self.device, copy=True)
        return TensorDict(
            {
                "observation": self._obs.to(self.device, copy=True),
                "active": self._active.unsqueeze(-1).to(self.device, copy=True),
                "reward": self._rewards.unsqueeze(-1).to(self.device, copy=True),
                "done": terminated | truncated,
                "terminated": terminated,
                "truncated": truncated,
            },
            batch_size=self.batch_size,
            device=self.device,
        )

    def _ended(self) -> np.ndarray:
        """Per env, whether its episode ended at the last step: every slot done, and the env
        done natively (every agent dying in one step is not an end while any will return)."""
        flagged = (self.vec.terminals | self.vec.truncations).all(1)
        for e in np.flatnonzero(flagged).tolist():
            flagged[e] = self.vec.done(e)
        return flagged

    def _start_task(self, e: int) -> None:
        """Env ``e`` plays the curriculum's next task from its coming reset."""
        task = self.curriculum.sample()
        compiled = self._compile(task)
        self.vec.assign_task(e, compiled)
        self._tasks[e] = task
        self._task_configs[e] = compiled.config

    def _compile(self, task: Task) -> EnvTask:
        """The task compiled for this batch (cached, least recently used dropped first)."""
        compiled = self._compiled.get(task.id)
        if compiled is None:
            config = self.vec.config.with_overrides(task.overrides)
            compiled = self._compiled[task.id] = self.vec.compile_task(config, task.name)
            if len(self._compiled) > self.TASK_CACHE:
                self._compiled.popitem(last=False)
        self._compiled.move_to_end(task.id)
        return compiled

    def _set_seed(self, seed: int | None) -> None:
        if seed is not None:
            self.vec.seed(seed)
