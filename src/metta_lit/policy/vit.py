"""ViT / latent attention: a Perceiver-style set of learned latents reads the token set.

Tokens are embedded by feature, value and Fourier features of their position
(:class:`~metta_lit.policy.tokens.TokenEmbedding`); learned latents cross-attend to them with
padding masked, self-attention layers mix the latents, their mean is the step's embedding,
and an LSTM core and actor/critic heads follow. Sizes: ``tiny``, ``small``, ``med``.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import nn

from metta_lit.policy.core import RecurrentPolicy
from metta_lit.policy.tokens import TokenEmbedding

# size -> (token/latent width, latents, attention heads, self-attention layers, LSTM hidden)
SIZES: dict[str, tuple[int, int, int, int, int]] = {
    "tiny": (32, 8, 2, 1, 64),
    "small": (64, 16, 4, 2, 128),
    "med": (128, 32, 4, 3, 256),
}


class LatentAttentionEncoder(nn.Module):
    """Tokens -> ``[*, dim]``: latents cross-attend to the (masked) tokens, then self-attend."""

    def __init__(self, feature_spec: dict[str, dict[str, Any]], dim: int, latents: int, heads: int, layers: int):
        super().__init__()
        self.tokens = TokenEmbedding(feature_spec, dim)
        self.latents = nn.Parameter(torch.randn(latents, dim) * 0.02)
        self.cross = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.cross_norm = nn.LayerNorm(dim)
        self.cross_mlp = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        layer = nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout=0.0, batch_first=True, norm_first=True)
        self.mix = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.out_norm = nn.LayerNorm(dim)

    def initialize_to_environment(self, feature_spec: dict[str, dict[str, Any]]) -> None:
        self.tokens.initialize_to_environment(feature_spec)

    def forward(self, observation: torch.Tensor) -> torch.Tensor:
        lead = observation.shape[:-2]
        embedded, padding = self.tokens(observation.reshape(-1, *observation.shape[-2:]))
        # A window with no token at all would leave attention nothing to read: let it see
        # its first (zero) slot instead of producing NaN.
        padding = torch.cat([padding[:, :1] & ~padding.all(-1, keepdim=True), padding[:, 1:]], 1)
        queries = self.latents.expand(embedded.shape[0], -1, -1)
        read, _ = self.cross(queries, embedded, embedded, key_padding_mask=padding, need_weights=False)
        latents = self.cross_norm(queries + read)
        latents = latents + self.cross_mlp(latents)
        pooled = self.out_norm(self.mix(latents)).mean(-2)
        return pooled.reshape(*lead, -1)


class ViTPolicy(RecurrentPolicy):
    """Latent attention over the token set, an LSTM core, actor/critic heads (``size``: tiny,
    small or med; see :data:`SIZES`)."""

    def __init__(
        self,
        feature_spec: dict[str, dict[str, Any]],
        action_names: list[str],
        size: Literal["tiny", "small", "med"] = "small",
        lstm_layers: int = 1,
        actor_hidden: int = 256,
        critic_hidden: int = 512,
        value_normalization: bool = False,
    ) -> None:
        if size not in SIZES:
            raise ValueError(f"ViTPolicy size: expected one of {list(SIZES)}, got {size!r}")
        dim, latents, heads, layers, hidden = SIZES[size]
        super().__init__(feature_spec, action_names)
        encoder = LatentAttentionEncoder(feature_spec, dim, latents, heads, layers)
        self.build(encoder, dim, hidden, lstm_layers, actor_hidden, critic_hidden, value_normalization)
