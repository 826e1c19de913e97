"""Observation shims that turn token observations into network inputs."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

EMPTY = 0xFF


class ObsShimBox(nn.Module):
    """Scatters ``[N, tokens, 3]`` uint8 tokens into a ``[N, channels, H, W]`` float box.

    A token ``(location, feature, value)`` lands at channel ``feature`` (mapped by *name*
    to this policy's channels), row ``location >> 4``, column ``location & 0xF``, scaled by
    ``1 / normalization``. Empty tokens and features the policy does not know go to one
    spare slot past the end of the buffer, so the scatter needs no boolean masking.

    The box is built channels-last (``[N, H, W, C]`` in memory, returned as a
    ``[N, C, H, W]`` view): the layout oneDNN's convolutions run fastest on, so the
    convolution reads it without a copy.
    """

    def __init__(self, feature_spec: dict[str, dict[str, Any]], obs_height: int, obs_width: int) -> None:
        super().__init__()
        # Channels follow the feature ids of the env the policy was built for.
        self.channel_names = [name for name, _ in sorted(feature_spec.items(), key=lambda kv: kv[1]["id"])]
        self.channels = len(self.channel_names)
        self.height, self.width = obs_height, obs_width
        scale = [1.0 / feature_spec[name]["normalization"] for name in self.channel_names] + [0.0]
        self.register_buffer("scale", torch.tensor(scale), persistent=False)
        self.register_buffer("id_to_channel", torch.full((256,), self.channels, dtype=torch.long), persistent=False)
        self.initialize_to_environment(feature_spec)

    def initialize_to_environment(self, feature_spec: dict[str, dict[str, Any]]) -> None:
        """Maps the env's feature ids to this policy's channels by feature name."""
        table = torch.full((256,), self.channels, dtype=torch.long)
        for channel, name in enumerate(self.channel_names):
            if name in feature_spec:
                table[feature_spec[name]["id"]] = channel
        self.id_to_channel.copy_(table)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        lead = tokens.shape[:-2]
        x = tokens.reshape(-1, tokens.shape[-2], 3).long()
        n, c, h, w = x.shape[0], self.channels, self.height, self.width
        loc, feature, value = x.unbind(-1)
        channel = self.id_to_channel[feature]
        spare = n * h * w * c
        dropped = (loc == EMPTY) | (channel == c)
        pixel = torch.arange(n, device=x.device).unsqueeze(1) * (h * w) + (loc >> 4) * w + (loc & 0xF)
        index = torch.where(dropped, spare, pixel * c + channel)
        box = torch.zeros(spare + 1, device=x.device)
        box.index_put_((index.reshape(-1),), (value.float() * self.scale[channel]).reshape(-1))
        box = box[:spare].view(n, h, w, c).permute(0, 3, 1, 2)  # channels-last strides
        return box.reshape(*lead, c, h, w)
