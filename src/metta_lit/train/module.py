"""``MettaLitModule``: the LightningModule that trains a policy on MettaGrid; Lightning hooks only.

One Lightning epoch = one rollout (:mod:`metta_lit.train.rollouts`) + one update
(``update_epochs`` passes over the rollout in minibatches of BPTT rows). Optimization is
manual: every loss mixin adds its terms, the module sums them, backpropagates, clips and steps.
Budgets are in agent steps (``total_timesteps``), counted over all DDP ranks. What a loss may
read from the module is :class:`~metta_lit.losses.base.LossHost`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, Literal

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_info
from tensordict import TensorDictBase
from torch.utils.data import DataLoader

from metta_lit.checkpoints.manager import CheckpointManager
from metta_lit.core.errors import ConfigError
from metta_lit.core.threads import configure_threads
from metta_lit.curriculum import Curriculum
from metta_lit.env import env_config
from metta_lit.losses import LossMixin
from metta_lit.policy import FastPolicy, Policy
from metta_lit.policy.precision import Autocast, autocast_dtype
from metta_lit.rl.acting import learner_rollout
from metta_lit.rl.experience import evaluate_rows, rows_from_rollout
from metta_lit.rl.partners import PartnerPool
from metta_lit.rl.schedules import Schedule
from metta_lit.rl.torch_env import MettaGridTorchEnv
from metta_lit.train import metrics
from metta_lit.train.arguments import check_arguments
from metta_lit.train.diagnostics import CollapseWatch, UpdateDiagnostics
from metta_lit.train.optimization import build_optimizers, learning_rate, set_learning_rate
from metta_lit.train.partners import build_pool, partner_agents, partner_metrics
from metta_lit.train.rollouts import RolloutDataset, Rollouts, as_is, rank_seeds, validation_episodes
from metta_lit.train.state import load_state, save_state

PolicyFactory = Callable[[dict, list], Policy]


class MettaLitModule(LossMixin, L.LightningModule):
    """Environment, collector, policy and optimizer; losses come from mixins on the left."""

    def __init__(
        self,
        env: str = "arena",
        env_overrides: dict[str, Any] | None = None,
        num_envs: int = 16,
        env_threads: int = 1,
        desync_episodes: bool = True,
        policy: PolicyFactory | None = None,
        curriculum: Curriculum | None = None,
        total_timesteps: int = 2_000_000,
        bptt_horizon: int = 64,
        minibatch_size: int = 4096,
        update_epochs: int = 1,
        learning_rate: float = 1.153637e-3,
        adam_betas: tuple[float, float] = (0.9, 0.999),
        adam_eps: float = 3.186531e-7,
        lr_schedule: Schedule = "constant",
        optimizer: Literal["adam", "muon"] = "adam",
        max_grad_norm: float = 0.5,
        eval_envs: int = 4,
        seed: int = 0,
        torch_threads: int | None = None,
        autocast: Autocast = "auto",
        compile: bool = False,
        partner_share: float = 0.0,
        partner_pool: list[str] | None = None,
        partner_snapshot_every: int = 0,
        partner_snapshots: int = 4,
        **kwargs: Any,
    ) -> None:
        """``curriculum`` draws each training env's next task (None: ``env`` itself; validation
        always plays ``env``). ``autocast`` and ``compile`` change speed, not what is learned:
        see :mod:`metta_lit.policy.precision` and :meth:`Policy.compile_networks`. The
        ``partner_*`` arguments put a pool of frozen partners beside the learner (see
        :mod:`metta_lit.train.partners`)."""
        super().__init__(**kwargs)
        self.save_hyperparameters(ignore=["policy", "curriculum"])
        self.hparams.partner_pool = list(partner_pool or [])
        check_arguments(self.hparams)
        self.curriculum = curriculum
        self.automatic_optimization = False
        self.env_config = env_config(env).with_overrides(env_overrides or {})
        self.num_agents = self.env_config.game.num_agents
        self.partner_agents = partner_agents(self.hparams, self.num_agents)  # 0: the learner plays every agent
        # A throwaway env tells policies (built here or loaded by use_policy) its feature spec and action catalog.
        probe = MettaGridTorchEnv(self.env_config, num_envs=1)
        self.feature_spec, self.action_names = probe.feature_spec, probe.action_names
        self.policy: Policy = (policy or FastPolicy)(self.feature_spec, self.action_names)
        self.agent_steps = 0
        self.replay_dir: str | None = None  # validation episodes write replays here (CLI: --replay_dir)
        self._rollouts: Rollouts | None = None  # built at fit start
        self.progress_window = metrics.EpisodeWindow()  # what the progress bar shows of recent episodes
        self._partners: PartnerPool | None = None  # built at fit start (not a submodule: DDP must not see it)
        self._partner_state: dict[str, Any] | None = None  # from a checkpoint, for the pool built at fit start
        self._rollout_states: list[dict[str, Any] | None] | None = None  # from a checkpoint: each rank's rollouts
        self._diagnostics: UpdateDiagnostics | None = None  # of the policy being trained (built at its first update)
        self.collapse_watch = CollapseWatch()

    @property
    def batch_size(self) -> int:
        """Agent steps per rollout on this rank."""
        return self.hparams.num_envs * self.num_agents * self.hparams.bptt_horizon

    @property
    def network_dtype(self) -> torch.dtype | None:
        """The policy network's autocast dtype on this device (None: fp32)."""
        return autocast_dtype(self.hparams.autocast, self.device)

    def on_fit_start(self) -> None:
        super().on_fit_start()
        hp, world = self.hparams, self.trainer.world_size
        local_ranks = getattr(self.trainer.strategy, "num_processes", 1)
        self._threads = configure_threads(hp.torch_threads, hp.env_threads, local_ranks, self.device.type)
        rank_zero_info(metrics.describe_fit(self.network_dtype, self.batch_size, world, self._threads.adaptive))
        if hp.compile:
            self.policy.compile_networks()
        if self.partner_agents:
            self.__dict__["_partners"] = self._partner_pool()
        self._rollouts = Rollouts(
            self.env_config, self.policy, self.rollout_modules(), self.curriculum, hp, rank=self.global_rank,
            agent_steps=self.agent_steps, frames_per_batch=self.batch_size, device=self.device,
            autocast=self.network_dtype, partners=self._partners, partner_agents=self.partner_agents,
            learner_keys=self.experience_keys(),
        )  # fmt: skip
        self._continue_rollouts()

    def _continue_rollouts(self) -> None:
        """On resume, each rank continues its envs' episodes and random streams where the
        checkpoint left them, so the run goes on as if never stopped. A checkpoint of another
        world size (or an older one) has no such state for this rank: its envs start afresh."""
        states, self._rollout_states = self._rollout_states, None
        if states is None:
            return
        if len(states) != self.trainer.world_size or states[self.global_rank] is None:
            rank_zero_info(
                f"[metta-lit] the checkpoint's rollouts are of {len(states)} rank(s), this run has "
                f"{self.trainer.world_size}: the envs start new episodes"
            )
            return
        try:
            self._rollouts.load_state(states[self.global_rank])
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"the checkpoint's rollouts do not fit this run's envs: {exc}") from None

    def _partner_pool(self) -> PartnerPool:
        """This rank's partner pool, as the checkpoint left it or with a first snapshot."""
        seed = rank_seeds(self.hparams.seed, self.global_rank, self.agent_steps)[0] + 1
        pool = build_pool(
            self.hparams, self.policy, self.env_config, self.feature_spec, self.action_names, seed, self.device
        )
        if self._partner_state is not None:
            pool.load(self._partner_state)
        elif pool.snapshots_taken == 0:
            pool.add_snapshot(self.policy)  # the run's first past self (if 'self' is in the pool): where it starts
        return pool

    def on_fit_end(self) -> None:
        if self._rollouts is not None:
            self._rollouts.shutdown()
            self._rollouts = None
        super().on_fit_end()

    def train_dataloader(self) -> DataLoader:
        self._rollout_source = RolloutDataset(lambda: self._rollouts.iterator)
        return DataLoader(self._rollout_source, batch_size=None, collate_fn=as_is)

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        return build_optimizers(self, self.policy, self.hparams)

    def training_step(self, batch: TensorDictBase, batch_idx: int) -> None:
        """One update over the rollout ``batch`` (``[envs, agents, bptt_horizon]``)."""
        self._threads.follow()  # the load during the rollout decides the update's threads
        if self.partner_agents:
            batch = learner_rollout(batch, self.num_agents - self.partner_agents, self.policy)
        experience = rows_from_rollout(batch, self.policy, self.experience_keys(), self.device)
        optimizers, lr = self.optimizers(), learning_rate(self.hparams, self.agent_steps)
        optimizers = optimizers if isinstance(optimizers, list) else [optimizers]
        for optimizer in optimizers:
            set_learning_rate(optimizer, lr)
        self.prepare_experience(experience)
        self._update(experience, optimizers)
        hp = self.hparams
        self.log_update(batch, lr)
        updates = self.agent_steps // (self.batch_size * self.trainer.world_size)
        if self._partners is not None and hp.partner_snapshot_every and updates % hp.partner_snapshot_every == 0:
            self._partners.add_snapshot(self.policy)
        if self.agent_steps >= hp.total_timesteps:  # before the epoch-end hooks, so checkpoints see it
            self.trainer.should_stop = True

    def _update(self, experience: TensorDictBase, optimizers: list[torch.optim.Optimizer]) -> None:
        """``update_epochs`` passes over the rollout's rows in minibatches (uniformly shuffled,
        or as a loss chooses); a loss may end the update after any minibatch."""
        hp = self.hparams
        if self._diagnostics is None or self._diagnostics.policy is not self.policy:
            self._diagnostics = UpdateDiagnostics(self.policy, hp.max_grad_norm)
        rows = hp.minibatch_size // hp.bptt_horizon
        for epoch in range(hp.update_epochs):
            order = self.minibatch_rows(experience, rows)
            if order is None:
                order = torch.randperm(experience.shape[0], device=self.device).split(rows)
            for number, index in enumerate(order):
                minibatch = experience[index]
                first = epoch == 0 and number == 0
                with self._diagnostics.watching_units() if first else contextlib.nullcontext():
                    output = evaluate_rows(self.policy, minibatch, self.network_dtype)
                loss = sum(self.loss_terms(minibatch, output).values())
                for optimizer in optimizers:
                    optimizer.zero_grad()
                self.manual_backward(loss)
                self._diagnostics.after_backward()
                self._clip_gradients(optimizers)
                for optimizer in optimizers:
                    optimizer.step()
                self.after_minibatch(experience, index, output)
                self._threads.follow()
                if self.stop_update():
                    return

    def _clip_gradients(self, optimizers: list[torch.optim.Optimizer]) -> None:
        """Clips the gradient's norm over every parameter to ``max_grad_norm``. Lightning's
        ``clip_gradients`` takes one optimizer's parameters at a time, so with two (Muon's
        matrices and Adam's rest) the whole norm is clipped by torch directly."""
        if len(optimizers) == 1:
            self.clip_gradients(
                optimizers[0], gradient_clip_val=self.hparams.max_grad_norm, gradient_clip_algorithm="norm"
            )
        else:
            params = [p for optimizer in optimizers for group in optimizer.param_groups for p in group["params"]]
            torch.nn.utils.clip_grad_norm_(params, self.hparams.max_grad_norm)

    def log_update(self, batch: TensorDictBase, lr: float) -> None:
        rollout, world = self._rollout_source, self.trainer.world_size
        self.agent_steps += self.batch_size * world
        episodes = self._rollouts.pop_finished_episodes()
        logged = {
            **metrics.update_metrics(
                batch, lr, self.agent_steps, self.batch_size, world, rollout.started, rollout.seconds
            ),
            **self.loss_metrics(),
            **metrics.episode_metrics(episodes),
            **(self.curriculum.stats() if self.curriculum is not None else {}),
            **(self._diagnostics.metrics() if self._diagnostics is not None else {}),
        }
        logged["diag/collapse"] = self._watch_collapse(logged)
        if self._partners is not None:
            logged.update(partner_metrics(episodes, self.num_agents - self.partner_agents, self._partners))
        self.progress_window.add(logged)
        shown, rest = metrics.split_progress_bar(logged)
        self.log_dict(shown, on_step=True, on_epoch=False, batch_size=1, sync_dist=False, prog_bar=True)
        self.log_dict(rest, on_step=True, on_epoch=False, batch_size=1, sync_dist=False)

    def _watch_collapse(self, logged: dict[str, float]) -> float:
        """1.0 (and a warning line) for the update that completes the collapse signature."""
        entropy = next((v for k, v in logged.items() if k.startswith("losses/") and k.endswith("/entropy")), None)
        if entropy is None:
            return 0.0
        warning = self.collapse_watch.add(self.agent_steps, entropy, logged.get("episode/reward"))
        if warning:
            rank_zero_info(warning)
        return float(warning is not None)

    def val_dataloader(self) -> DataLoader:
        """One item: the seed of the validation episodes' maps."""
        return DataLoader([self.hparams.seed + 2**20], batch_size=None)

    def use_policy(self, uri: str) -> None:
        """Replaces the policy by ``uri``'s (or ``random``), adapted to this env by feature and action *name*."""
        self.policy, key = CheckpointManager.load_for_env(uri, self.feature_spec, self.action_names, self.device)
        rank_zero_info(f"[metta-lit] using policy {key.run}:v{key.version} ({uri})")

    def validation_step(self, batch: int, batch_idx: int) -> None:
        """One whole episode in each of ``eval_envs`` fresh envs of ``env``, with the current policy."""
        hp = self.hparams
        episodes = validation_episodes(
            self.env_config, self.policy, hp.eval_envs, int(batch), hp.env_threads, self.replay_dir, self.device,
            self.network_dtype,
        )  # fmt: skip
        self.log_dict(metrics.validation_metrics(episodes), batch_size=1, sync_dist=True)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(checkpoint)
        partners = self._partners.state() if self._partners is not None else self._partner_state
        rollouts = self._rollouts.save_state() if self._rollouts is not None else None
        save_state(checkpoint, self.agent_steps, self.curriculum, partners, self._gather(rollouts))

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_load_checkpoint(checkpoint)
        state = load_state(checkpoint, self.curriculum)
        self.agent_steps, self._partner_state, self._rollout_states = state.agent_steps, state.partners, state.rollouts

    def _gather(self, value: Any) -> list[Any]:
        """Every rank's ``value``, in rank order (checkpoints are saved collectively on all ranks;
        Lightning's ``all_gather`` takes tensors only, these are nested dicts)."""
        if self.trainer.world_size == 1 or not torch.distributed.is_initialized():
            return [value]
        gathered: list[Any] = [None] * self.trainer.world_size
        torch.distributed.all_gather_object(gathered, value)
        return gathered
