"""Cortex: a core that mixes several cells through a learned router.

Two experts read each step's embedding ``x_t``:

- a **recurrent expert**, a GRU cell carrying ``cortex_h``;
- an **attention expert**, attending from ``x_t`` over a sliding window of the last
  ``window`` embeddings (``cortex_window``, with ``cortex_valid`` marking filled slots) plus
  ``x_t`` itself: short-term memory by content rather than by recurrence.

A router (softmax over a linear map of ``x_t``) weighs the experts' outputs into ``core``.
Episode starts clear all memory. Rollouts step it; training rows run the same step function
over time (``T`` steps), so both modes give the same outputs by construction (tested).
"""

from __future__ import annotations

from typing import Any

import torch
from tensordict.nn import TensorDictModule, TensorDictSequential
from torch import nn
from torchrl.modules import recurrent_mode

from metta_lit.policy.core import ActorCriticHeads, SequencePolicy
from metta_lit.policy.lstm import TokenPoolEncoder

MEMORY = ("cortex_h", "cortex_window", "cortex_valid")


class CortexCore(nn.Module):
    """``embedding`` + memory -> ``core`` + next memory (see the module docstring)."""

    def __init__(self, dim: int, window: int, heads: int) -> None:
        super().__init__()
        self.recurrent = nn.GRUCell(dim, dim)
        self.attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.router = nn.Linear(dim, 2)
        self.norm = nn.LayerNorm(dim)
        self.window = window

    def step(
        self, x: torch.Tensor, h: torch.Tensor, window: torch.Tensor, valid: torch.Tensor, is_init: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        """One step for ``[N, dim]`` inputs; memory is cleared where ``is_init`` ``[N, 1]``."""
        keep = (~is_init).float()
        h, window, valid = h * keep, window * keep.unsqueeze(-1), valid * keep
        h = self.recurrent(x, h)
        keys = torch.cat([window, x.unsqueeze(1)], 1)  # the window and the present
        ignore = torch.cat([valid, torch.ones_like(valid[:, :1])], 1) < 0.5
        attended, _ = self.attention(x.unsqueeze(1), keys, keys, key_padding_mask=ignore, need_weights=False)
        weights = torch.softmax(self.router(x), -1)
        core = self.norm(weights[:, :1] * h + weights[:, 1:] * attended.squeeze(1))
        window = torch.cat([window[:, 1:], x.unsqueeze(1)], 1)
        valid = torch.cat([valid[:, 1:], torch.ones_like(valid[:, :1])], 1)
        return core, h, window, valid

    def forward(
        self, x: torch.Tensor, h: torch.Tensor, window: torch.Tensor, valid: torch.Tensor, is_init: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        if not recurrent_mode():
            lead = x.shape[:-1]
            out = self.step(
                x.reshape(-1, x.shape[-1]),
                h.reshape(-1, h.shape[-1]),
                window.reshape(-1, *window.shape[-2:]),
                valid.reshape(-1, valid.shape[-1]),
                is_init.reshape(-1, 1),
            )
            return tuple(o.reshape(*lead, *o.shape[1:]) for o in out)
        # Rows [B, T]: from the memory stored at t = 0, step through time.
        memory = (h[:, 0], window[:, 0], valid[:, 0])
        outputs = []
        for t in range(x.shape[1]):
            core, *memory = self.step(x[:, t], *memory, is_init[:, t])
            outputs.append((core, *memory))
        return tuple(torch.stack(parts, 1) for parts in zip(*outputs, strict=True))


class CortexPolicy(SequencePolicy):
    """Token-pool encoder -> Cortex core (GRU expert + windowed attention expert, routed) ->
    actor/critic heads. Memory: ``cortex_h``, ``cortex_window``, ``cortex_valid``."""

    def __init__(
        self,
        feature_spec: dict[str, dict[str, Any]],
        action_names: list[str],
        embed_dim: int = 64,
        hidden_size: int = 128,
        window: int = 8,
        heads: int = 4,
        actor_hidden: int = 256,
        critic_hidden: int = 512,
        value_normalization: bool = False,
    ) -> None:
        super().__init__(feature_spec, action_names)
        self.encoder = TokenPoolEncoder(feature_spec, embed_dim, hidden_size)
        self.core = CortexCore(hidden_size, window, heads)
        self.heads = ActorCriticHeads(hidden_size, self.num_actions, actor_hidden, critic_hidden, value_normalization)
        self.sequence = TensorDictSequential(
            TensorDictModule(self.encoder, in_keys=["observation"], out_keys=["embedding"]),
            TensorDictModule(
                self.core,
                in_keys=["embedding", *MEMORY, "is_init"],
                out_keys=["core", *(("next", k) for k in MEMORY)],
            ),
            TensorDictModule(self.heads, in_keys=["core"], out_keys=["logits", "state_value"]),
        )
        self.in_keys = ["observation", "is_init", *MEMORY]
        self.out_keys = ["embedding", "core", "logits", "state_value", *(("next", k) for k in MEMORY)]

    def memory_shapes(self) -> dict[str, tuple[int, ...]]:
        dim, window = self.hyperparameters["hidden_size"], self.hyperparameters["window"]
        return {"cortex_h": (dim,), "cortex_window": (window, dim), "cortex_valid": (window,)}
