"""The LSTM baseline: a token-set encoder feeding an LSTM core (partial observability)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from metta_lit.policy.core import RecurrentPolicy
from metta_lit.policy.tokens import TokenEmbedding, masked_mean


class TokenPoolEncoder(nn.Module):
    """Tokens -> embedded tokens -> mean over the non-padding ones -> MLP ``[*, hidden]``."""

    def __init__(self, feature_spec: dict[str, dict[str, Any]], embed_dim: int, hidden: int) -> None:
        super().__init__()
        self.tokens = TokenEmbedding(feature_spec, embed_dim)
        self.mlp = nn.Sequential(nn.Linear(embed_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())

    def initialize_to_environment(self, feature_spec: dict[str, dict[str, Any]]) -> None:
        self.tokens.initialize_to_environment(feature_spec)

    def forward(self, observation: torch.Tensor) -> torch.Tensor:
        embedded, padding = self.tokens(observation)
        return self.mlp(masked_mean(embedded, padding))


class LSTMPolicy(RecurrentPolicy):
    """Token embeddings pooled into one vector per step, then an LSTM carries what the agent
    saw before: the partial-observability baseline, independent of the window size."""

    def __init__(
        self,
        feature_spec: dict[str, dict[str, Any]],
        action_names: list[str],
        embed_dim: int = 64,
        hidden_size: int = 128,
        lstm_layers: int = 1,
        actor_hidden: int = 256,
        critic_hidden: int = 512,
        value_normalization: bool = False,
    ) -> None:
        super().__init__(feature_spec, action_names)
        encoder = TokenPoolEncoder(feature_spec, embed_dim, hidden_size)
        self.build(encoder, hidden_size, hidden_size, lstm_layers, actor_hidden, critic_hidden, value_normalization)
