"""Parts every recurrent architecture shares: the LSTM core and the actor/critic heads.

An encoder writes ``embedding``; :func:`lstm_core` turns it into ``core`` (carrying
``lstm_h``/``lstm_c`` as TorchRL memory, reset where ``is_init`` is set, stepped in rollouts
and run over whole rows under ``set_recurrent_mode``); :class:`ActorCriticHeads` reads
``core``.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from tensordict import TensorDictBase
from tensordict.nn import TensorDictModule, TensorDictSequential
from torch import nn
from torchrl.modules import LSTMModule

from metta_lit.policy.base import Policy


def orthogonal_(tensor: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
    """``nn.init.orthogonal_``, offered to torch function modes as torch's other init functions
    are (its own is not), so that :class:`SkippedInit` can leave its QR undone."""
    if torch.overrides.has_torch_function_variadic(tensor):
        return torch.overrides.handle_torch_function(orthogonal_, (tensor,), tensor, gain=gain)
    return nn.init.orthogonal_(tensor, gain)


class SkippedInit(torch.overrides.TorchFunctionMode):
    """Builds a policy whose weights are loaded next without initializing them: every
    ``torch.nn.init`` call and :func:`orthogonal_` is left undone; what construction computes
    otherwise (buffers not saved with the weights) is kept.

    Most of a policy's init is orthogonal matrices, a QR each; on a machine whose cores are busy
    the QRs at torch's default thread count spin for up to seconds per policy (measured: 0.1-1.4 s
    with 2 threads beside 2 training runs on 2 cores, 0.05 s with 1), all of it overwritten by
    the loaded weights. ``torch.nn.utils.skip_init`` builds on the meta device instead, which
    would leave those computed buffers empty.
    """

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001 - torch's protocol
        if func is orthogonal_ or getattr(func, "__module__", None) == "torch.nn.init":
            return args[0] if args else kwargs["tensor"]
        return func(*args, **(kwargs or {}))


def layer_init(layer: nn.Module, std: float = math.sqrt(2), bias: float = 0.0) -> nn.Module:
    """PufferLib/CleanRL init: orthogonal weights with gain ``std``, constant bias."""
    orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, bias)
    return layer


def lstm_core(input_size: int, hidden_size: int, layers: int) -> LSTMModule:
    """``embedding`` -> ``core`` through an LSTM whose state is the policy's memory."""
    lstm = LSTMModule(
        input_size=input_size,
        hidden_size=hidden_size,
        num_layers=layers,
        in_keys=["embedding", "lstm_h", "lstm_c"],
        out_keys=["core", ("next", "lstm_h"), ("next", "lstm_c")],
    )
    for name, param in lstm.lstm.named_parameters():
        if "weight" in name:
            orthogonal_(param)
        else:
            nn.init.constant_(param, 1.0)
    return lstm


class NormalizedValue(nn.Module):
    """The critic's last layer under PopArt ("Preserving Outputs Precisely, while Adaptively
    Rescaling Targets", van Hasselt et al. 2016): ``linear(h) * std + mean``, where ``mean`` and
    ``square_mean`` are running statistics of the value targets (buffers, saved with the policy).

    The layer learns returns at unit scale whatever the reward's, and outputs them in the
    reward's units, so rollouts, advantages and bootstraps are unchanged; when the statistics
    move, its weights are rescaled so every output stays what it was. Why: on the easy arena
    rewards arrive at ~0.0005 per agent step while the critic's first outputs are of order 1,
    and a whole 10M-step run explained 0-17% of the returns' variance.
    """

    MIN_VARIANCE = 1e-8  # targets that never vary: the std stays 1e-4, not zero

    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.linear = layer_init(nn.Linear(in_features, 1), std=1.0)
        self.register_buffer("mean", torch.zeros(1))
        self.register_buffer("square_mean", torch.ones(1))
        self.register_buffer("updates", torch.zeros(1))

    @property
    def std(self) -> torch.Tensor:
        return (self.square_mean - self.mean.square()).clamp_min(self.MIN_VARIANCE).sqrt()

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.linear(hidden) * self.std + self.mean

    def normalize(self, values: torch.Tensor) -> torch.Tensor:
        """Values in the reward's units -> the units the layer learns in."""
        return (values - self.mean) / self.std

    @torch.no_grad()
    def update(self, mean: torch.Tensor | float, square_mean: torch.Tensor | float, rate: float) -> None:
        """Moves the statistics towards a batch of targets' (mean, mean of squares): their
        running average over the first ``1/rate`` updates, then ``rate`` per update; then
        rescales the layer so that every output is unchanged."""
        old_mean, old_std = self.mean.clone(), self.std
        step = max(rate, 1.0 / (float(self.updates) + 1.0))
        self.mean.lerp_(torch.as_tensor(mean, dtype=self.mean.dtype).reshape(1), step)
        self.square_mean.lerp_(torch.as_tensor(square_mean, dtype=self.mean.dtype).reshape(1), step)
        self.updates += 1
        new_std = self.std
        self.linear.weight.mul_(old_std / new_std)
        self.linear.bias.mul_(old_std).add_(old_mean - self.mean).div_(new_std)


def value_normalizer(policy: nn.Module) -> NormalizedValue | None:
    """The policy's PopArt layer (an architecture built with ``value_normalization: true``), or None."""
    return next((m for m in policy.modules() if isinstance(m, NormalizedValue)), None)


class ActorCriticHeads(nn.Module):
    """Actor FC ``actor_hidden`` ReLU -> logits; critic FC ``critic_hidden`` tanh -> value
    (through :class:`NormalizedValue` with ``value_normalization``)."""

    def __init__(
        self, hidden: int, num_actions: int, actor_hidden: int, critic_hidden: int, value_normalization: bool = False
    ) -> None:
        super().__init__()
        self.actor = nn.Sequential(
            layer_init(nn.Linear(hidden, actor_hidden)),
            nn.ReLU(),
            layer_init(nn.Linear(actor_hidden, num_actions), std=0.01),
        )
        self.critic = nn.Sequential(
            layer_init(nn.Linear(hidden, critic_hidden)),  # first: the same initial weights with either output
            nn.Tanh(),
            NormalizedValue(critic_hidden) if value_normalization else layer_init(nn.Linear(critic_hidden, 1), std=1.0),
        )

    def forward(self, core):
        return self.actor(core), self.critic(core)

    def output_parameters(self) -> list[nn.Parameter]:
        """The layers that write the logits and the value (optimizers such as Muon treat them
        apart from the hidden layers)."""
        return [*self.actor[-1].parameters(), *self.critic[-1].parameters()]


class SequencePolicy(Policy):
    """A policy whose forward is ``self.sequence`` and whose ``self.encoder`` maps feature ids
    by name in its own ``initialize_to_environment``: what every encoder-core-heads
    architecture shares."""

    def forward(self, td: TensorDictBase) -> TensorDictBase:
        return self.sequence(td)

    def initialize_to_environment(self, feature_spec: dict[str, dict[str, Any]], action_names: list[str]) -> None:
        super().initialize_to_environment(feature_spec, action_names)
        self.encoder.initialize_to_environment(feature_spec)


class RecurrentPolicy(SequencePolicy):
    """encoder (``observation`` -> ``embedding``) -> LSTM core -> actor/critic heads.

    Architectures differ only in their encoder: a subclass builds it and calls :meth:`build`
    (its arguments are recorded by :class:`Policy`, to rebuild it from a checkpoint). Memory
    keys: ``lstm_h``, ``lstm_c`` ``[*, layers, hidden]``. The encoder maps feature ids by name
    in its own ``initialize_to_environment``.
    """

    def build(
        self,
        encoder: nn.Module,
        embedding_size: int,
        hidden: int,
        layers: int,
        actor_hidden: int,
        critic_hidden: int,
        value_normalization: bool = False,
    ) -> None:
        self.memory_shape = (layers, hidden)
        self.encoder = encoder
        self.lstm = lstm_core(embedding_size, hidden, layers)
        self.heads = ActorCriticHeads(hidden, self.num_actions, actor_hidden, critic_hidden, value_normalization)
        self.sequence = TensorDictSequential(
            TensorDictModule(self.encoder, in_keys=["observation"], out_keys=["embedding"]),
            self.lstm,
            TensorDictModule(self.heads, in_keys=["core"], out_keys=["logits", "state_value"]),
        )
        self.in_keys = ["observation", "is_init", "lstm_h", "lstm_c"]
        self.out_keys = ["embedding", "core", "logits", "state_value", ("next", "lstm_h"), ("next", "lstm_c")]

    def memory_shapes(self) -> dict[str, tuple[int, ...]]:
        return {"lstm_h": self.memory_shape, "lstm_c": self.memory_shape}
