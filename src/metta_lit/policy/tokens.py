"""Token encoders: each observation token becomes a vector, for set-based architectures.

A token ``(location, feature, value)`` is embedded as

    embed(feature channel) + value / normalization * value_direction(channel)
                           + Linear(Fourier features of the token's (row, column))

Feature ids are mapped to this policy's channels by *name* (as the box shim does), so a policy
trained on one feature numbering runs on another. Empty tokens (location 0xFF) are padding:
:class:`TokenEmbedding` returns a mask, and every pooling or attention over tokens ignores
them, so padding never changes an output.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

EMPTY = 0xFF


class TokenEmbedding(nn.Module):
    """``[N, tokens, 3]`` uint8 -> (``[N, tokens, dim]`` embeddings, ``[N, tokens]`` padding mask)."""

    def __init__(self, feature_spec: dict[str, dict[str, Any]], dim: int, frequencies: int = 4, window: int = 11):
        super().__init__()
        self.channel_names = [name for name, _ in sorted(feature_spec.items(), key=lambda kv: kv[1]["id"])]
        channels = len(self.channel_names)
        self.unknown = channels  # features this policy never saw share one channel
        self.feature = nn.Embedding(channels + 1, dim)
        self.value_direction = nn.Embedding(channels + 1, dim)
        self.register_buffer(
            "scale",
            torch.tensor([1.0 / feature_spec[n]["normalization"] for n in self.channel_names] + [0.0]),
            persistent=False,
        )
        self.register_buffer("id_to_channel", torch.full((256,), channels, dtype=torch.long), persistent=False)
        self.register_buffer(
            "frequencies", math.pi * 2.0 ** torch.arange(frequencies, dtype=torch.float32) / window, persistent=False
        )
        self.position = nn.Linear(4 * frequencies, dim)
        self.initialize_to_environment(feature_spec)

    def initialize_to_environment(self, feature_spec: dict[str, dict[str, Any]]) -> None:
        """Maps the env's feature ids to this policy's channels by feature name."""
        table = torch.full((256,), self.unknown, dtype=torch.long)
        for channel, name in enumerate(self.channel_names):
            if name in feature_spec:
                table[feature_spec[name]["id"]] = channel
        self.id_to_channel.copy_(table)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = tokens.long()
        location, feature, value = x.unbind(-1)
        padding = location == EMPTY
        channel = torch.where(padding, self.unknown, self.id_to_channel[feature])
        rows, cols = (location >> 4).float(), (location & 0xF).float()
        angles = torch.stack([rows, cols], -1).unsqueeze(-1) * self.frequencies  # [..., 2, F]
        fourier = torch.cat([angles.sin(), angles.cos()], -1).flatten(-2)  # [..., 4F]
        scaled = (value.float() * self.scale[channel]).unsqueeze(-1)
        embedded = self.feature(channel) + scaled * self.value_direction(channel) + self.position(fourier)
        return embedded.masked_fill(padding.unsqueeze(-1), 0.0), padding


def masked_mean(x: torch.Tensor, padding: torch.Tensor) -> torch.Tensor:
    """Mean over the tokens that are not padding (zero when all are)."""
    keep = (~padding).unsqueeze(-1).float()
    return (x * keep).sum(-2) / keep.sum(-2).clamp_min(1.0)
