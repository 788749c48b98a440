"""Session-quality model: an LSTM over a chat session's messages with additive attention.

The attention weights are returned with the score so the API can say which messages mattered.
"""

from __future__ import annotations

import torch
from torch import nn


class SessionQualityNet(nn.Module):
    def __init__(self, *, feature_dim: int, hidden: int = 32) -> None:
        super().__init__()
        self.config = {"feature_dim": feature_dim, "hidden": hidden}
        self.embed = nn.Sequential(nn.Linear(feature_dim, hidden), nn.ReLU())
        self.lstm = nn.LSTM(hidden, hidden, batch_first=True)
        self.attention = nn.Linear(hidden, 1)
        self.out = nn.Linear(2 * hidden, 1)

    def forward(self, steps: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """steps (B, T, F), mask (B, T) True for real messages. Returns (logits (B,), attention (B, T))."""
        states, _ = self.lstm(self.embed(steps))
        scores = self.attention(torch.tanh(states)).squeeze(-1).masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        context = (weights.unsqueeze(-1) * states).sum(1)
        lengths = mask.long().sum(1).clamp(min=1) - 1
        last = states[torch.arange(states.shape[0]), lengths]
        return self.out(torch.cat([context, last], dim=-1)).squeeze(-1), weights
