"""The interface every policy architecture implements.

A policy is a ``TensorDictModuleBase``: it reads ``observation`` (uint8 tokens) plus its
memory keys and ``is_init``, and writes ``logits`` and ``state_value`` (and its next memory
under ``"next"``). The same forward serves the collector (one step of ``[E, A]`` agents) and
the learner (``[rows, T]`` sequences under ``torchrl.modules.set_recurrent_mode``).
"""

from __future__ import annotations

import functools
import inspect
from abc import abstractmethod
from typing import Any

import torch
from tensordict import TensorDict, TensorDictBase
from tensordict.nn import (
    ProbabilisticTensorDictModule,
    ProbabilisticTensorDictSequential,
    TensorDictModule,
    TensorDictModuleBase,
)
from torchrl.data import Unbounded
from torchrl.envs import Compose, InitTracker, TensorDictPrimer, Transform

from metta_lit.core.errors import MettaLitError
from metta_lit.policy.precision import AutocastModule


class PolicyEnvError(MettaLitError):
    """A policy that cannot act in an env (the env has actions the policy never learned)."""


class Policy(TensorDictModuleBase):
    """Base class: construction from the env's feature spec and action catalog.

    The arguments a policy was built with are recorded as :attr:`hyperparameters` (what
    Lightning's ``save_hyperparameters`` does for modules), so :attr:`architecture` (class path +
    arguments) rebuilds the same network from a policy file without the training config. A
    subclass only declares its ``__init__(feature_spec, action_names, ...)`` keywords.
    """

    hyperparameters: dict[str, Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Wraps each subclass's ``__init__`` so the outermost call records its arguments.
        Written by hand: Lightning's capture is for LightningModules (it inspects the caller's
        frame), and a policy is a plain torch module."""
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return
        signature = inspect.signature(init)

        @functools.wraps(init)
        def recording_init(self: Policy, *args: Any, **kw: Any) -> None:
            if "hyperparameters" not in self.__dict__:  # the outermost __init__: the one called
                bound = signature.bind(self, *args, **kw)
                bound.apply_defaults()
                named = {k: v for k, v in bound.arguments.items() if k not in ("self", "feature_spec", "action_names")}
                extra = named.pop("kwargs", {}) if signature.parameters.get("kwargs") else {}
                self.__dict__["hyperparameters"] = {**named, **extra}
            init(self, *args, **kw)

        cls.__init__ = recording_init

    def __init__(self, feature_spec: dict[str, dict[str, Any]], action_names: list[str]) -> None:
        super().__init__()
        self.__dict__.setdefault("hyperparameters", {})
        self.feature_spec = {name: dict(info) for name, info in feature_spec.items()}
        self.action_names = list(action_names)
        # Positions of the env's actions among this policy's logits; None while they coincide.
        self.register_buffer("env_action_index", None, persistent=False)

    @property
    def num_actions(self) -> int:
        return len(self.action_names)

    @property
    def architecture(self) -> tuple[str, dict[str, Any]]:
        cls = type(self)
        kwargs = {"feature_spec": self.feature_spec, "action_names": self.action_names, **self.hyperparameters}
        return f"{cls.__module__}.{cls.__qualname__}", kwargs

    @abstractmethod
    def forward(self, td: TensorDictBase) -> TensorDictBase:
        """Writes ``logits`` and ``state_value`` (and next memory) into ``td``."""

    def memory_shapes(self) -> dict[str, tuple[int, ...]]:
        """The recurrent state one agent carries from step to step: key -> shape.

        Declared once here: the env transform that primes it (zeros at every episode start)
        and the keys experience rows store both derive from it. Stateless policies declare
        nothing.
        """
        return {}

    @torch.no_grad()
    def output_sizes(self, num_tokens: int) -> dict[str, int]:
        """The last dimension of each output of one step on an empty observation of
        ``num_tokens`` tokens (``embedding``, ``core``, ``logits``...): what a loss sizes its
        heads by."""
        td = TensorDict(
            {
                "observation": torch.full((1, num_tokens, 3), 0xFF, dtype=torch.uint8),
                "is_init": torch.ones(1, 1, dtype=torch.bool),
                **{k: torch.zeros(1, *shape) for k, shape in self.memory_shapes().items()},
            },
            batch_size=[1],
        )
        inputs = set(td.keys())
        return {k: int(v.shape[-1]) for k, v in self(td).items() if k not in inputs and torch.is_tensor(v)}

    def compile_networks(self) -> None:
        """``torch.compile`` the plain torch submodules (encoder, heads, cores) in place, state
        dict keys unchanged; the TensorDict plumbing stays eager."""
        for module in self.children():
            if not isinstance(module, TensorDictModuleBase):
                module.compile()

    def memory_transform(self) -> Transform:
        """Env transforms that give the policy its memory: ``is_init`` plus zeroed state keys."""
        shapes = self.memory_shapes()
        if not shapes:
            return Compose(InitTracker())
        specs = {key: Unbounded(shape=shape) for key, shape in shapes.items()}
        return Compose(InitTracker(), TensorDictPrimer(specs, expand_specs=True))

    def initialize_to_environment(self, feature_spec: dict[str, dict[str, Any]], action_names: list[str]) -> None:
        """Adapts to an env whose feature ids and actions may differ, matching both by *name*.

        The env's actions must be a subset of the policy's (e.g. a policy trained on the arena
        acts in navigation, which lacks attacks): its logits are narrowed to them, in the env's
        order. An env action the policy never learned is an error that names it.
        """
        missing = [name for name in action_names if name not in self.action_names]
        if missing:
            raise PolicyEnvError(
                f"the env has actions {missing} that the policy was not trained with (policy actions: {self.action_names})"
            )
        index = [self.action_names.index(name) for name in action_names]
        identity = index == list(range(self.num_actions))
        device = self.device
        self.env_action_index = None if identity else torch.tensor(index, dtype=torch.long, device=device)

    @property
    def device(self) -> torch.device:
        """Where the policy's tensors live (CPU for a policy without any)."""
        tensor = next(iter(self.parameters()), None)
        if tensor is None:
            tensor = next((b for b in self.buffers() if b is not None), None)
        return tensor.device if tensor is not None else torch.device("cpu")

    def env_logits(self, logits: torch.Tensor) -> torch.Tensor:
        """The policy's logits narrowed to the env's actions (see :meth:`initialize_to_environment`)."""
        return logits if self.env_action_index is None else logits.index_select(-1, self.env_action_index)

    def actor(self, autocast: torch.dtype | None = None) -> ProbabilisticTensorDictSequential:
        """This policy followed by Categorical sampling of ``action`` (+ ``action_log_prob``)
        over the env's actions; with ``autocast`` the network runs in that dtype and the
        sampling in fp32 (see :mod:`metta_lit.policy.precision`)."""
        net = self if autocast is None else AutocastModule(self, self.device.type, autocast)
        narrow = TensorDictModule(self.env_logits, in_keys=["logits"], out_keys=["logits"])
        sampler = ProbabilisticTensorDictModule(
            in_keys=["logits"],
            out_keys=["action"],
            distribution_class=torch.distributions.Categorical,
            return_log_prob=True,
            log_prob_key="action_log_prob",
        )
        return ProbabilisticTensorDictSequential(net, narrow, sampler)
