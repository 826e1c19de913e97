"""Training rollouts: one rank's envs and TorchRL collector, delivered to Lightning as batches.

As in Lightning's PPO example (``ExperienceSourceDataset``), each rollout reaches
``training_step`` as its ``batch`` through an ``IterableDataset``: one Lightning epoch is one
rollout and one update.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

import torch
from lightning.pytorch.utilities import rank_zero_info
from tensordict import TensorDict, TensorDictBase
from tensordict.utils import NestedKey
from torch.utils.data import IterableDataset
from torchrl.collectors import Collector

from metta_lit.curriculum import Curriculum
from metta_lit.env import MettaGridConfig
from metta_lit.policy import Policy
from metta_lit.rl.acting import acting_env, play_episodes
from metta_lit.rl.partners import PartnerPool
from metta_lit.rl.teacher import Teacher
from metta_lit.rl.torch_env import EpisodeResult, MettaGridTorchEnv


def rank_seeds(seed: int, rank: int, agent_steps: int) -> tuple[int, int]:
    """(torch and curriculum seed, env seed) of a rank: LightningCLI seeds every rank alike,
    but envs and action sampling must differ per rank, and a resume must not replay the start."""
    return seed + 7919 * rank + agent_steps, seed + 1_000_003 * rank + agent_steps


def as_is(batch: Any) -> Any:
    """The DataLoader's collate function: a rollout is already one batch."""
    return batch


class RolloutDataset(IterableDataset):
    """One rollout per pass. ``source`` returns the live collector iterator, which exists once
    fit starts; the time of the last rollout is kept for throughput metrics."""

    def __init__(self, source: Callable[[], Iterator[TensorDictBase]]) -> None:
        self.source = source
        self.started = self.seconds = 0.0

    def __iter__(self) -> Iterator[TensorDictBase]:
        self.started = time.perf_counter()
        rollout = next(self.source())
        self.seconds = time.perf_counter() - self.started
        yield rollout


class Rollouts:
    """The training envs of one rank and the collector that steps them with the policy (and
    any loss's teacher, ``rollout_modules``): built at fit start, shut down at fit end.

    Seeds torch and the curriculum for this rank and point of the run (:func:`rank_seeds`);
    ``hparams`` are the trainer's (``num_envs``, ``env_threads``, ``desync_episodes``, ``seed``).
    With ``partners``, the pool plays each env's last ``partner_agents`` agents (one acting path:
    the learner and the pool are the two members of an ``AgentSplitActor``, which keeps the
    learner's outputs named in ``learner_keys``, the rollout keys its losses read).
    """

    def __init__(
        self,
        env_config: MettaGridConfig,
        policy: Policy,
        rollout_modules: list[Teacher],
        curriculum: Curriculum | None,
        hparams: Mapping[str, Any],
        *,
        rank: int,
        agent_steps: int,
        frames_per_batch: int,
        device: torch.device,
        autocast: torch.dtype | None,
        partners: PartnerPool | None = None,
        partner_agents: int = 0,
        learner_keys: Collection[NestedKey] = (),
    ) -> None:
        torch_seed, env_seed = rank_seeds(hparams["seed"], rank, agent_steps)
        torch.manual_seed(torch_seed)
        if curriculum is not None:
            curriculum.reseed(torch_seed)
        self.curriculum, self.partners = curriculum, partners
        self.env = MettaGridTorchEnv(
            env_config,
            num_envs=hparams["num_envs"],
            seed=env_seed,
            num_threads=hparams["env_threads"],
            desync_episodes=hparams["desync_episodes"],
            curriculum=curriculum,
        )
        members = [(policy, env_config.game.num_agents - partner_agents)]
        if partners is not None:
            members.append((partners, partner_agents))
            self.env.on_episode_start = partners.start_episodes
        env, actor = acting_env(self.env, members, rollout_modules, autocast=autocast, keep=learner_keys)
        self.collector = Collector(
            env,
            actor,
            frames_per_batch=frames_per_batch,
            total_frames=-1,
            device=device,
            env_device="cpu",
            storing_device="cpu",
            auto_register_policy_transforms=False,
        )
        self.iterator = iter(self.collector)

    def pop_finished_episodes(self) -> list[EpisodeResult]:
        return self.env.pop_finished_episodes()

    def save_state(self) -> dict[str, Any]:
        """Where this rank's rollouts stand between two updates: the envs' episodes, the
        collector's carried step (last observations, the policy's memory), and the random
        streams that draw the next actions, tasks and partners. Plain data and tensors."""
        state: dict[str, Any] = {
            "envs": self.env.save_state(),
            # TorchRL keeps the step it carries between rollouts in the private ``_carrier``
            # (its own state_dict deliberately omits it: a collector cannot restore an env);
            # our envs can, so the carrier travels with them.
            "carrier": self.collector._carrier.to_dict(),
            "torch_rng": torch.get_rng_state(),
        }
        if self.curriculum is not None:
            state["curriculum"] = self.curriculum.state_dict()
        if self.partners is not None:
            state["partner_draws"] = self.partners.draws()
        return state

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Continues from :meth:`save_state`: the next rollout is the one the saved run would
        have collected next, action for action."""
        if self.curriculum is not None and "curriculum" in state:
            self.curriculum.load_state_dict(state["curriculum"])
        self.env.load_state(state["envs"])
        if self.partners is not None and "partner_draws" in state:
            self.partners.load_draws(state["partner_draws"])
        carrier = self.collector._carrier
        carrier.update(TensorDict(state["carrier"], batch_size=carrier.batch_size, device=carrier.device))
        torch.set_rng_state(state["torch_rng"])

    def shutdown(self) -> None:
        self.collector.shutdown()


def validation_episodes(
    env_config: MettaGridConfig,
    policy: Policy,
    num_envs: int,
    seed: int,
    env_threads: int,
    replay_dir: str | None,
    device: torch.device,
    autocast: torch.dtype | None,
) -> list[EpisodeResult]:
    """One whole episode in each of ``num_envs`` fresh envs, through evaluation's loop
    (:func:`~metta_lit.rl.acting.play_episodes`); with ``replay_dir``, their replays."""
    base = MettaGridTorchEnv(env_config, num_envs, seed=seed, num_threads=env_threads, replay_dir=replay_dir)
    episodes = play_episodes(base, [(policy, env_config.game.num_agents)], [1] * num_envs, device, autocast)
    if replay_dir:
        rank_zero_info(f"[metta-lit] replays of {len(episodes)} episodes written to {base.replay_dir}")
    return episodes
