"""The loss-mixin chain and its contract.

Each loss is a mixin placed to the left of :class:`~metta_lit.train.module.MettaLitModule` in a
class definition (``class PPO(PPOLoss, MettaLitModule)``), or composed by name from
config (:mod:`metta_lit.train.compose`). Every hook calls ``super()`` so all mixins take part;
:class:`LossMixin` is the end of the chain. A mixin takes its hyperparameters as keyword-only
``__init__`` arguments, which LightningCLI exposes under ``model.init_args``.

The contract between the rollout, the policy and the losses is TensorDict keys:

- a loss *declares* the rollout keys it reads (:meth:`LossMixin.experience_keys`, TorchRL's
  names such as ``"state_value"`` or ``("next", "reward")``); experience rows keep those plus
  the policy's inputs, nothing else;
- ``output`` is the policy's whole forward over the rows (``embedding``, ``core``, ``logits``,
  ``state_value`` and whatever an architecture adds) plus ``action_log_prob`` and ``entropy``
  of the stored actions; losses read it and never write into it;
- a loss that keeps per-row state writes it under its own sub-key of the experience
  (``experience["ppo", "returns"]``), so no loss overwrites another's inputs;
- rows keep ``active`` (``[rows, T, 1]``): steps where no agent played the slot (a task with
  fewer agents than the env's slots, a dead agent) count in no loss, mean or normalization
  (:meth:`LossMixin.active_steps`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import torch
from tensordict import TensorDictBase
from tensordict.utils import NestedKey

from metta_lit.core.errors import ConfigError

if TYPE_CHECKING:
    from metta_lit.env import MettaGridConfig
    from metta_lit.policy import Policy
    from metta_lit.rl.teacher import Teacher


@runtime_checkable
class LossHost(Protocol):
    """What a loss mixin may read from the module it is mixed into, beyond its own attributes
    and :class:`LossMixin`'s methods. :class:`~metta_lit.train.module.MettaLitModule` provides
    it (a test checks both that it does and that the losses read nothing else)."""

    policy: Policy  # the network being trained (losses may add heads beside it, never replace it)
    env_config: MettaGridConfig  # the training env's config
    feature_spec: dict[str, dict[str, Any]]  # observation features by name
    action_names: list[str]  # the env's action catalog, in id order
    num_agents: int  # agents per env
    agent_steps: int  # agent steps trained so far, over all ranks
    hparams: Mapping[str, Any]  # every mixin's and the module's arguments
    device: torch.device


class LossMixin:
    """Terminal link of the loss chain: no terms, no preparation."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    def experience_keys(self) -> set[NestedKey]:
        """Rollout keys this loss reads from experience rows, beyond the policy's inputs
        (``observation``, ``is_init``, ``action`` and its memory), which every row keeps."""
        return set()

    @staticmethod
    def active_steps(rows: TensorDictBase) -> torch.Tensor | None:
        """``[rows, T]`` bool: the steps a placed, living agent played (what every loss term
        is a mean over), or None when it is every step (the common case: plain means)."""
        if "active" not in rows.keys():
            return None
        active = rows["active"].reshape(rows.shape)
        return None if bool(active.all()) else active

    def rollout_modules(self) -> list[Teacher]:
        """Modules that act alongside the policy in training rollouts (a loss's teacher);
        what they write reaches experience when a loss declares it."""
        return []

    def prepare_experience(self, experience: TensorDictBase) -> None:
        """Called once per rollout, before any minibatch (e.g. to compute advantages)."""

    def minibatch_rows(self, experience: TensorDictBase, rows: int) -> list[torch.Tensor] | None:
        """The row indices of one pass's minibatches of ``rows`` rows, for a loss that chooses
        what to replay (prioritized replay); None, the default: the trainer shuffles uniformly."""
        return None

    def loss_terms(self, minibatch: TensorDictBase, output: TensorDictBase) -> dict[str, torch.Tensor]:
        """Weighted loss terms for one minibatch, named ``<loss>/<term>``; the module sums
        them and steps once.

        ``minibatch`` holds rows of experience ``[rows, T]``; ``output`` the policy's fresh
        forward over them (see the module docstring).
        """
        return {}

    def after_minibatch(self, experience: TensorDictBase, index: torch.Tensor, output: TensorDictBase) -> None:
        """Called after each optimizer step with the rows that were used."""

    def stop_update(self) -> bool:
        """Whether the update should end after this minibatch (a loss that stops early when the
        policy moved too far, e.g. PPO's ``target_kl``); every DDP rank must answer the same."""
        return False

    def policy_output_size(self: LossHost, key: str, loss: str) -> int:
        """The size of the policy's output ``key``, which ``loss`` sizes its heads by; a policy
        without that output is refused, naming the loss."""
        sizes = self.policy.output_sizes(self.env_config.game.num_observation_tokens)
        if key not in sizes:
            raise ConfigError(
                f"{loss} reads the policy's {key!r} output, which {type(self.policy).__name__} does not "
                f"produce (it writes {sorted(sizes)})"
            )
        return sizes[key]

    def sum_over_ranks(self, tensor: torch.Tensor) -> torch.Tensor:
        """``tensor`` summed over DDP ranks through the Lightning strategy of the module's
        trainer; unchanged for a single process or a loss used on its own (no trainer)."""
        try:
            trainer = self.trainer
        except (AttributeError, RuntimeError):  # not a LightningModule, or not attached to a Trainer
            return tensor
        return trainer.strategy.reduce(tensor, reduce_op="sum") if trainer.world_size > 1 else tensor

    def record_metric(self, loss: str, term: str, value: float | torch.Tensor) -> None:
        """Accumulates a diagnostic of one minibatch; its mean over the update is logged as
        ``losses/<loss>/<term>``."""
        records = self.__dict__.setdefault("_loss_records", defaultdict(list))  # not an nn.Module attribute
        records[f"losses/{loss}/{term}"].append(float(value.detach()) if torch.is_tensor(value) else float(value))

    def loss_metrics(self) -> dict[str, float]:
        """Means of what the losses recorded since the last call (logged once per update)."""
        records = self.__dict__.pop("_loss_records", {})
        return {key: sum(values) / len(values) for key, values in records.items()}
