"""Monthly demand forecaster: an LSTM over a series' recent months, multi-horizon quantile output.

24 months of history are too short to learn seasonality from scratch, so the output is anchored
on a learned, per-horizon mix of three classical forecasts computed from the input window: the
last value (naive), the same month a year earlier (seasonal naive) and the seasonal naive scaled
by the growth since a year ago. The LSTM and head learn the mix and a correction (and the spread
of the quantiles). The head's last layer starts at zero, so training starts from the mix.
"""

from __future__ import annotations

import torch
from torch import nn

from ml.training.forecasts import N_ANCHORS, QUANTILES


class TrendLSTM(nn.Module):
    def __init__(self, *, input_dim: int = 3, hidden: int = 16, horizon: int = 3, dropout: float = 0.1) -> None:
        super().__init__()
        self.config = {"input_dim": input_dim, "hidden": hidden, "horizon": horizon, "dropout": dropout}
        self.horizon = horizon
        self.lstm = nn.LSTM(input_dim, hidden, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Sequential(
            nn.Linear(hidden + N_ANCHORS * horizon, hidden), nn.ReLU(), nn.Linear(hidden, horizon * len(QUANTILES))
        )
        nn.init.zeros_(self.head[-1].weight)
        nn.init.zeros_(self.head[-1].bias)
        # Spread of the band around the median, learned per horizon (log scale).
        self.spread = nn.Parameter(torch.full((horizon,), -2.0))
        self.anchor_logits = nn.Parameter(torch.zeros(horizon, N_ANCHORS))

    def anchors(self, window: torch.Tensor, seasonal: torch.Tensor) -> torch.Tensor:
        """(B, H, 3): naive, seasonal naive, growth-adjusted seasonal naive (window's first month
        is a year before the last)."""
        last = window[:, -1, 0:1].expand_as(seasonal)
        growth = ((window[:, -3:, 0].mean(1) + 0.05) / (window[:, :3, 0].mean(1) + 0.05)).clamp(0.5, 2.0)
        return torch.stack([last, seasonal, seasonal * growth.unsqueeze(-1)], dim=-1)

    def forward(self, window: torch.Tensor, seasonal: torch.Tensor) -> torch.Tensor:
        """window (B, L, input_dim) scaled inputs; seasonal (B, H) scaled seasonal-naive values.

        Returns (B, H, Q) scaled quantiles, sorted so the band never crosses.
        """
        _, (hidden, _) = self.lstm(window)
        anchors = self.anchors(window, seasonal)
        mix = (torch.softmax(self.anchor_logits, dim=-1) * anchors).sum(-1)
        features = torch.cat([self.dropout(hidden[-1]), anchors.flatten(1)], dim=-1)
        correction = self.head(features).view(-1, self.horizon, len(QUANTILES))
        spread = torch.exp(self.spread).view(1, -1, 1) * torch.tensor([-1.0, 0.0, 1.0]).view(1, 1, -1)
        out = mix.unsqueeze(-1) * (1 + spread) + correction
        return torch.sort(out, dim=-1).values


def pinball_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Quantile loss; pred (B, H, Q), target (B, H)."""
    q = torch.tensor(QUANTILES, dtype=pred.dtype, device=pred.device)
    diff = target.unsqueeze(-1) - pred
    return torch.maximum(q * diff, (q - 1) * diff).mean()
