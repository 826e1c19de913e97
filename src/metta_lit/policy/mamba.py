"""Mamba: a selective state-space core in plain PyTorch (runs on CPU).

Per step, with ``u`` the (gated) input, input-dependent step ``delta``, ``B`` and ``C``::

    h_t = exp(delta_t * A) * h_{t-1} + delta_t * B_t * u_t        (per channel, per state)
    y_t = C_t . h_t + D * u_t,      out_t = out_proj(y_t * silu(z_t))

Rollouts step it one agent step at a time, carrying ``ssm_state`` ``[d_inner, d_state]`` as the
policy's memory. Training runs whole BPTT rows at once with a parallel (Hillis-Steele)
associative scan over time of the pairs ``(a_t, b_t)``: ``log2(T)`` tensor steps instead of
``T``. An episode start zeroes the carried state (``a_t = 0`` there), so both modes give the
same outputs (tested). This is Mamba-1's selective scan without its short causal convolution.

The fused CUDA kernel of ``mamba-ssm`` (``selective_scan_fn``) is not used even where it is
importable: it starts every sequence from a zero state and cannot reset inside one, while a
BPTT row starts mid-episode from the state the rollout carried and may cross an episode
start. Using it would train a different computation than the one that acted.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from tensordict.nn import TensorDictModule, TensorDictSequential
from torch import nn
from torchrl.modules import recurrent_mode

from metta_lit.policy.core import ActorCriticHeads, SequencePolicy
from metta_lit.policy.lstm import TokenPoolEncoder


def associative_scan(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``h_t = a_t * h_{t-1} + b_t`` from ``h_{-1} = 0`` for every ``t`` along dim 1, in
    ``ceil(log2 T)`` steps: after the step with offset ``k`` each position holds the
    composition of the ``2k`` steps ending there."""
    T, offset = a.shape[1], 1
    while offset < T:
        b = torch.cat([b[:, :offset], a[:, offset:] * b[:, :-offset] + b[:, offset:]], 1)
        a = torch.cat([a[:, :offset], a[:, offset:] * a[:, :-offset]], 1)
        offset *= 2
    return b


class SelectiveSSM(nn.Module):
    """The selective state-space layer: ``embedding`` (+ state) -> ``core`` (+ next state)."""

    def __init__(self, dim: int, d_inner: int, d_state: int) -> None:
        super().__init__()
        self.in_proj = nn.Linear(dim, 2 * d_inner)
        self.delta = nn.Linear(d_inner, d_inner)
        self.bc = nn.Linear(d_inner, 2 * d_state)
        # A = -exp(A_log) < 0: S4D-real initialisation (A_n = -(n + 1)).
        self.A_log = nn.Parameter(torch.log(torch.arange(1, d_state + 1, dtype=torch.float32)).repeat(d_inner, 1))
        self.D = nn.Parameter(torch.ones(d_inner))
        self.out_proj = nn.Linear(d_inner, dim)
        nn.init.constant_(self.delta.bias, math.log(math.expm1(0.01)))  # softplus(bias) = 0.01 at start

    def forward(self, x: torch.Tensor, state: torch.Tensor, is_init: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x`` ``[..., dim]`` (rollout: ``[N, dim]``; rows: ``[B, T, dim]``), ``state`` the
        carried ``[..., d_inner, d_state]`` (rows: the one stored at each step), ``is_init``
        ``[..., 1]``. Returns the output and the state after every step."""
        u, z = nn.functional.silu(self.in_proj(x)).chunk(2, -1)
        delta = nn.functional.softplus(self.delta(u)).unsqueeze(-1)  # [..., d_inner, 1]
        B, C = self.bc(u).chunk(2, -1)
        a = torch.exp(delta * -torch.exp(self.A_log))  # [..., d_inner, d_state]
        b = delta * B.unsqueeze(-2) * u.unsqueeze(-1)
        keep = (~is_init).float().unsqueeze(-1)  # episode starts forget the carried state
        if recurrent_mode():  # rows [B, T]: start from the state stored at t = 0
            a = a * keep
            b = torch.cat([b[:, :1] + a[:, :1] * state[:, :1], b[:, 1:]], 1)
            h = associative_scan(a, b)
        else:
            h = a * (state * keep) + b
        y = (h * C.unsqueeze(-2)).sum(-1) + self.D * u
        return self.out_proj(y * nn.functional.silu(z)), h


class MambaPolicy(SequencePolicy):
    """Token-pool encoder -> selective SSM core -> actor/critic heads. Memory: ``ssm_state``."""

    def __init__(
        self,
        feature_spec: dict[str, dict[str, Any]],
        action_names: list[str],
        embed_dim: int = 64,
        hidden_size: int = 128,
        d_inner: int = 128,
        d_state: int = 16,
        actor_hidden: int = 256,
        critic_hidden: int = 512,
        value_normalization: bool = False,
    ) -> None:
        super().__init__(feature_spec, action_names)
        self.encoder = TokenPoolEncoder(feature_spec, embed_dim, hidden_size)
        self.ssm = SelectiveSSM(hidden_size, d_inner, d_state)
        self.heads = ActorCriticHeads(hidden_size, self.num_actions, actor_hidden, critic_hidden, value_normalization)
        self.sequence = TensorDictSequential(
            TensorDictModule(self.encoder, in_keys=["observation"], out_keys=["embedding"]),
            TensorDictModule(
                self.ssm, in_keys=["embedding", "ssm_state", "is_init"], out_keys=["core", ("next", "ssm_state")]
            ),
            TensorDictModule(self.heads, in_keys=["core"], out_keys=["logits", "state_value"]),
        )
        self.in_keys = ["observation", "is_init", "ssm_state"]
        self.out_keys = ["embedding", "core", "logits", "state_value", ("next", "ssm_state")]

    def memory_shapes(self) -> dict[str, tuple[int, ...]]:
        return {"ssm_state": (self.hyperparameters["d_inner"], self.hyperparameters["d_state"])}
