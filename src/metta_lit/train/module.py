"""``MettaLitModule``: the LightningModule that trains a policy on MettaGrid.

One Lightning epoch = one rollout from the TorchRL collector + one update (``update_epochs``
passes over the rollout in minibatches of BPTT rows). Optimization is manual: every loss
mixin adds its terms, the module sums them, backpropagates, clips and steps. Budgets are in
agent steps (``total_timesteps``), counted over all DDP ranks.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_info
from tensordict import TensorDict, TensorDictBase
from tensordict.nn import TensorDictModuleBase
from torch.utils.data import DataLoader, IterableDataset
from torchrl.collectors import Collector

from metta_lit.checkpoints.manager import CheckpointManager
from metta_lit.core.errors import ConfigError, check_positive_int
from metta_lit.curriculum import Curriculum
from metta_lit.env import env_config
from metta_lit.env.vec_env import check_seed
from metta_lit.losses import LossMixin
from metta_lit.policy import FastPolicy, Policy
from metta_lit.policy.precision import Autocast, autocast_dtype
from metta_lit.rl.acting import act, acting_env
from metta_lit.rl.experience import evaluate_rows, rows_from_rollout
from metta_lit.rl.torch_env import EpisodeResult, MettaGridTorchEnv
from metta_lit.train.threads import ThreadController

PolicyFactory = Callable[[dict, list], Policy]


# Shown next to the progress bar (with overview/sps); everything is logged.
PROGRESS_BAR_METRICS = ("episode/reward", "env_agent/heart.gained")


def as_is(batch: Any) -> Any:
    """The DataLoader's collate function: a rollout is already one batch."""
    return batch


class RolloutDataset(IterableDataset):
    """One rollout of the TorchRL collector per pass: an epoch is one rollout + one update.

    As Lightning's ``ExperienceSourceDataset`` (its PPO example), this lets the rollout reach
    ``training_step`` as its ``batch``. ``source`` returns the live collector iterator, which
    exists once fit starts; the time of the last rollout is kept for throughput metrics.
    """

    def __init__(self, source: Callable[[], Iterator[TensorDictBase]]) -> None:
        self.source = source
        self.started = self.seconds = 0.0

    def __iter__(self) -> Iterator[TensorDictBase]:
        self.started = time.perf_counter()
        rollout = next(self.source())
        self.seconds = time.perf_counter() - self.started
        yield rollout


def mean_metrics(rows: list[dict[str, float]]) -> dict[str, float]:
    """Means over finished episodes (a stat missing from an episode counts as zero)."""
    keys = set().union(*rows) if rows else set()
    return {k: sum(r.get(k, 0.0) for r in rows) / len(rows) for k in sorted(keys)}


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
        lr_schedule: Literal["constant", "linear", "cosine"] = "constant",
        max_grad_norm: float = 0.5,
        eval_envs: int = 4,
        seed: int = 0,
        torch_threads: int | None = None,
        autocast: Autocast = "auto",
        compile: bool = False,
        **kwargs: Any,
    ) -> None:
        """``curriculum``: the task (a variant of ``env``'s config) each training env plays
        next, drawn at every episode start (see :mod:`metta_lit.curriculum`); None plays
        ``env`` itself. Validation always plays ``env`` itself.

        Throughput options (neither changes what is learned):

        ``autocast``: the policy network's precision in rollouts and updates. ``auto`` is bf16
        where the hardware runs it natively (CUDA GPUs with bf16, CPUs with AMX) and fp32
        elsewhere; ``bf16`` forces it, ``off`` keeps fp32. Sampling, stored memory and loss
        math stay fp32 (see :mod:`metta_lit.policy.precision`).

        ``compile``: ``torch.compile`` the policy's submodules in place at fit start (state
        dict keys unchanged). Off by default: on a 2-core CPU it took ~25 s to compile the
        Fast policy and trained no faster.
        """
        super().__init__(**kwargs)
        self.save_hyperparameters(ignore=["policy", "curriculum"])
        self.curriculum = curriculum
        self.automatic_optimization = False
        counts = {
            "num_envs": num_envs,
            "env_threads": env_threads,
            "total_timesteps": total_timesteps,
            "bptt_horizon": bptt_horizon,
            "minibatch_size": minibatch_size,
            "update_epochs": update_epochs,
            "eval_envs": eval_envs,
        }
        if torch_threads is not None:  # None: chosen at fit start
            counts["torch_threads"] = torch_threads
        for name, value in counts.items():
            check_positive_int(value, f"model.{name}")
        check_seed(seed, "model.seed")
        if not (math.isfinite(learning_rate) and learning_rate > 0):
            raise ConfigError(f"model.learning_rate: must be a finite number > 0, got {learning_rate}")
        if minibatch_size % bptt_horizon:
            raise ConfigError(
                f"model.minibatch_size ({minibatch_size}) must be a multiple of bptt_horizon ({bptt_horizon})"
            )
        self.env_config = env_config(env).with_overrides(env_overrides or {})
        self.num_agents = self.env_config.game.num_agents
        # A throwaway env tells policies (built here or loaded by use_policy) its feature spec
        # and action catalog.
        probe = MettaGridTorchEnv(self.env_config, num_envs=1)
        self.feature_spec, self.action_names = probe.feature_spec, probe.action_names
        factory = policy or FastPolicy
        self.policy: Policy = factory(self.feature_spec, self.action_names)
        self.agent_steps = 0
        self.replay_dir: str | None = None  # validation episodes write replays here (CLI: --replay_dir)
        self._collector: Collector | None = None
        self._threads: ThreadController | None = None  # set at fit start unless threads are fixed

    # --- sizes -----------------------------------------------------------------------------
    @property
    def batch_size(self) -> int:
        """Agent steps per rollout on this rank."""
        return self.hparams.num_envs * self.num_agents * self.hparams.bptt_horizon

    @torch.no_grad()
    def policy_output_size(self, key: str, loss: str) -> int:
        """Last dimension of the policy's output ``key`` (``embedding``, ``core``...), from one
        step on an empty observation: what a loss sizes its heads by. A policy without that
        output is refused at construction, naming the loss."""
        tokens = self.env_config.game.num_observation_tokens
        td = TensorDict(
            {
                "observation": torch.full((1, tokens, 3), 0xFF, dtype=torch.uint8),
                "is_init": torch.ones(1, 1, dtype=torch.bool),
                **{k: torch.zeros(1, *shape) for k, shape in self.policy.memory_shapes().items()},
            },
            batch_size=[1],
        )
        out = self.policy(td)
        if key not in out.keys():
            raise ConfigError(
                f"{loss} reads the policy's {key!r} output, which {type(self.policy).__name__} does not "
                f"produce (it writes {sorted(k for k in out.keys() if k not in td.keys())})"
            )
        return int(out[key].shape[-1])

    @property
    def network_dtype(self) -> torch.dtype | None:
        """The policy network's autocast dtype on this device (None: fp32)."""
        return autocast_dtype(self.hparams.autocast, self.device)

    @property
    def world_size(self) -> int:
        return self.trainer.world_size if self._trainer is not None else 1

    # --- environment and collector (the acting path of rl/acting.py) ------------------------
    def on_fit_start(self) -> None:
        super().on_fit_start()
        # Threads: fixed when given (--model.init_args.torch_threads or OMP_NUM_THREADS), else
        # this rank's share of the cores other work leaves free, following the load (threads.py).
        self._threads = None
        if self.hparams.torch_threads is not None:
            torch.set_num_threads(self.hparams.torch_threads)
        elif "OMP_NUM_THREADS" not in os.environ and self.device.type == "cpu":
            local_ranks = getattr(self.trainer.strategy, "num_processes", 1)
            self._threads = ThreadController(local_ranks, self.hparams.env_threads)
            self._threads.start()
        rank_zero_info(f"[metta-lit] torch uses {torch.get_num_threads()} CPU threads per rank")
        rank_zero_info(f"[metta-lit] policy network precision: {self.network_dtype or torch.float32}")
        rank_zero_info(
            f"[metta-lit] batch: {self.batch_size:,} agent steps per rank x {self.world_size} ranks = "
            f"{self.batch_size * self.world_size:,} per update (total_timesteps counts all ranks)"
        )
        if self.hparams.compile:
            # The plain torch modules (encoder, heads, cores); TensorDict plumbing stays eager.
            for module in self.policy.children():
                if not isinstance(module, TensorDictModuleBase):
                    module.compile()
        rank = self.global_rank
        # LightningCLI seeds every rank alike; envs and action sampling must differ per rank.
        torch.manual_seed(self.hparams.seed + 7919 * rank + self.agent_steps)
        self._train_env = MettaGridTorchEnv(
            self.env_config,
            num_envs=self.hparams.num_envs,
            seed=self.hparams.seed + 1_000_003 * rank + self.agent_steps,
            num_threads=self.hparams.env_threads,
            desync_episodes=self.hparams.desync_episodes,
            curriculum=self.curriculum,
        )
        if self.curriculum is not None:
            self.curriculum.reseed(self.hparams.seed + 7919 * rank + self.agent_steps)
        env, actor = acting_env(
            self._train_env, [(self.policy, self.num_agents)], self.rollout_modules(), autocast=self.network_dtype
        )
        self._collector = Collector(
            env,
            actor,
            frames_per_batch=self.batch_size,
            total_frames=-1,
            device=self.device,
            env_device="cpu",
            storing_device="cpu",
            auto_register_policy_transforms=False,
        )
        self._rollouts = iter(self._collector)

    def on_fit_end(self) -> None:
        if self._collector is not None:
            self._collector.shutdown()
            self._collector = None
        super().on_fit_end()

    def train_dataloader(self) -> DataLoader:
        """Rollouts reach ``training_step`` as its batch, one per epoch (see :class:`RolloutDataset`)."""
        self._rollout_source = RolloutDataset(lambda: self._rollouts)
        return DataLoader(self._rollout_source, batch_size=None, collate_fn=as_is)

    # --- optimization ----------------------------------------------------------------------
    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(
            self.parameters(),
            lr=self.hparams.learning_rate,
            betas=tuple(self.hparams.adam_betas),
            eps=self.hparams.adam_eps,
        )

    def current_lr(self) -> float:
        progress = min(1.0, self.agent_steps / max(1, self.hparams.total_timesteps))
        scale = {"constant": 1.0, "linear": 1.0 - progress, "cosine": 0.5 * (1.0 + math.cos(math.pi * progress))}
        return self.hparams.learning_rate * scale[self.hparams.lr_schedule]

    def training_step(self, batch: TensorDictBase, batch_idx: int) -> None:
        """One PPO-style update over the rollout ``batch`` (``[envs, agents, bptt_horizon]``)."""
        if self._threads is not None:
            self._threads.follow()  # the load during the rollout decides the update's threads
        experience = rows_from_rollout(batch, self.policy, self.experience_keys(), self.device)

        optimizer = self.optimizers()
        lr = self.current_lr()
        for group in optimizer.param_groups:
            group["lr"] = lr
        self.prepare_experience(experience)
        rows = experience.shape[0]
        rows_per_minibatch = max(1, self.hparams.minibatch_size // self.hparams.bptt_horizon)
        for _ in range(self.hparams.update_epochs):
            for index in torch.randperm(rows, device=self.device).split(rows_per_minibatch):
                minibatch = experience[index]
                output = evaluate_rows(self.policy, minibatch, self.network_dtype)
                loss = sum(self.loss_terms(minibatch, output).values())
                optimizer.zero_grad()
                self.manual_backward(loss)
                self.clip_gradients(
                    optimizer, gradient_clip_val=self.hparams.max_grad_norm, gradient_clip_algorithm="norm"
                )
                optimizer.step()
                self.after_minibatch(experience, index, output)
                if self._threads is not None:
                    self._threads.follow()

        rollout = self._rollout_source
        steps = self.batch_size * self.world_size
        self.agent_steps += steps
        metrics = {
            "overview/rollout_sps": steps / rollout.seconds,
            "overview/agent_steps": float(self.agent_steps),
            "overview/batch_per_rank": float(self.batch_size),
            "overview/global_batch": float(steps),
            "overview/learning_rate": lr,
            "overview/reward_per_step": float(batch["next", "reward"].mean()),
            "overview/threads": float(torch.get_num_threads()),
            **self.loss_metrics(),
        }
        episodes = self._train_env.pop_finished_episodes()
        if episodes:
            metrics.update(mean_metrics([episode.summary() for episode in episodes]))
            metrics["overview/episodes"] = float(len(episodes))
        if self.curriculum is not None:
            metrics.update(self.curriculum.stats())
        shown = {"overview/sps": steps / (time.perf_counter() - rollout.started)}  # rollout + update
        shown.update({k: metrics.pop(k) for k in PROGRESS_BAR_METRICS if k in metrics})
        self.log_dict(shown, on_step=True, on_epoch=False, batch_size=1, sync_dist=False, prog_bar=True)
        self.log_dict(metrics, on_step=True, on_epoch=False, batch_size=1, sync_dist=False)
        # Decided here, before the epoch-end hooks, so checkpoint callbacks see it.
        if self.agent_steps >= self.hparams.total_timesteps:
            self.trainer.should_stop = True

    # --- validation: whole episodes with the current policy ---------------------------------
    def val_dataloader(self) -> DataLoader:
        """One item: the seed of the validation episodes' maps."""
        return DataLoader([self.hparams.seed + 2**20], batch_size=None)

    def use_policy(self, uri: str) -> None:
        """Replaces the configured policy by the one ``uri`` designates (or ``random``), adapted
        to this env by feature and action *name* (an arena policy validates, or trains on, navigation)."""
        self.policy, key = CheckpointManager.load_for_env(uri, self.feature_spec, self.action_names, self.device)
        rank_zero_info(f"[metta-lit] using policy {key.run}:v{key.version} ({uri})")

    def run_episodes(self, num_envs: int, seed: int) -> list[EpisodeResult]:
        """One full episode in each of ``num_envs`` fresh envs, acted by the policy."""
        base = MettaGridTorchEnv(
            self.env_config,
            num_envs=num_envs,
            seed=seed,
            num_threads=self.hparams.env_threads,
            replay_dir=self.replay_dir,
        )
        env, actor = acting_env(base, [(self.policy, self.num_agents)], autocast=self.network_dtype)
        episodes: list[EpisodeResult] = []
        done = [False] * num_envs

        def all_done() -> bool:
            for episode in base.pop_finished_episodes():
                if not done[episode.env]:
                    done[episode.env] = True
                    episodes.append(episode)
                base.recording[episode.env] = False
            return all(done)

        act(env, actor, until=all_done, device=self.device)
        env.close()
        if self.replay_dir:
            rank_zero_info(f"[metta-lit] replays of {len(episodes)} episodes written to {base.replay_dir}")
        return episodes

    def validation_step(self, batch: int, batch_idx: int) -> None:
        episodes = self.run_episodes(self.hparams.eval_envs, seed=int(batch))
        summary = mean_metrics([episode.summary() for episode in episodes])
        metrics = {
            "val/reward": summary["episode/reward"],
            "val/heart.gained": summary.get("env_agent/heart.gained", 0.0),
        }
        metrics.update({f"val/{k.split('/', 1)[1]}": v for k, v in summary.items() if k.startswith("env_agent/")})
        self.log_dict(metrics, batch_size=1, sync_dist=True)

    # --- checkpoint state: agent steps and RNG, so resumes continue exactly -----------------
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(checkpoint)
        checkpoint["metta_lit"] = {"agent_steps": self.agent_steps, "torch_rng": torch.get_rng_state()}
        if self.curriculum is not None:
            checkpoint["metta_lit"]["curriculum"] = self.curriculum.state_dict()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_load_checkpoint(checkpoint)
        state = checkpoint.get("metta_lit", {})
        self.agent_steps = int(state.get("agent_steps", 0))
        if "torch_rng" in state:
            torch.set_rng_state(state["torch_rng"])
        if self.curriculum is not None and "curriculum" in state:
            self.curriculum.load_state_dict(state["curriculum"])
