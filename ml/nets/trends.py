"""Monthly demand forecaster: an LSTM over a series' recent months, multi-horizon quantile output.

The output is anchored on a learned mix of the seasonal-naive values (the same months a year
earlier) and the recent level, so the network learns corrections (growth, decline, noise) rather
than seasonality itself, which a 24-month history is too short to learn from scratch.
"""

from __future__ import annotations

import torch
from torch import nn

QUANTILES = (0.1, 0.5, 0.9)


class TrendLSTM(nn.Module):
    def __init__(self, *, input_dim: int = 3, hidden: int = 32, horizon: int = 3, dropout: float = 0.1) -> None:
        super().__init__()
        self.config = {"input_dim": input_dim, "hidden": hidden, "horizon": horizon, "dropout": dropout}
        self.horizon = horizon
        self.lstm = nn.LSTM(input_dim, hidden, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Sequential(
            nn.Linear(hidden + 2 * horizon, hidden), nn.ReLU(), nn.Linear(hidden, horizon * len(QUANTILES))
        )
        # Learned per-horizon mix of the two anchors (seasonal naive, recent level); the head adds
        # a correction and the spread of the quantiles.
        self.anchor_mix = nn.Parameter(torch.zeros(horizon))

    def forward(self, window: torch.Tensor, seasonal: torch.Tensor) -> torch.Tensor:
        """window (B, L, input_dim) scaled inputs; seasonal (B, H) scaled seasonal-naive values.

        Returns (B, H, Q) scaled quantiles, sorted so the band never crosses.
        """
        _, (hidden, _) = self.lstm(window)
        level = window[:, -3:, 0].mean(dim=1, keepdim=True).expand_as(seasonal)
        mix = torch.sigmoid(self.anchor_mix)
        anchor = mix * seasonal + (1 - mix) * level
        features = torch.cat([self.dropout(hidden[-1]), seasonal, level], dim=-1)
        out = self.head(features).view(-1, self.horizon, len(QUANTILES))
        out = out + anchor.unsqueeze(-1)
        return torch.sort(out, dim=-1).values


def pinball_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Quantile loss; pred (B, H, Q), target (B, H)."""
    q = torch.tensor(QUANTILES, dtype=pred.dtype, device=pred.device)
    diff = target.unsqueeze(-1) - pred
    return torch.maximum(q * diff, (q - 1) * diff).mean()
