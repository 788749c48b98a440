"""Monthly trend forecasting: windows, training, rolling-origin backtest against naive baselines.

A series is a numpy array of monthly demand (searches + recommendations + plays) for one genre or
region; all series share the same months. Each window is scaled by its last-12-month mean, so one
global model serves big and small series alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ml.nets.trends import TrendLSTM, pinball_loss
from ml.training.forecasts import (
    HORIZON,
    INPUT_MONTHS,
    MEDIAN,
    SEASON,
    ets_forecast,
    naive_forecast,
    seasonal_naive_forecast,
    trend_forecast_with,
    trend_window,
)
from ml.training.metrics import mase, smape
from ml.training.runtime import torch_setup

# Every forecaster of the backtest, the model first; the baselines are the three after it.
BACKTEST_FORECASTERS = ("model", "ets", "seasonal_naive", "naive")
TREND_BASELINES = BACKTEST_FORECASTERS[1:]


@dataclass(frozen=True)
class TrendWindows:
    inputs: torch.Tensor  # (N, L, 3): scaled value, sin and cos of the calendar month
    seasonal: torch.Tensor  # (N, H) scaled seasonal-naive values
    targets: torch.Tensor  # (N, H) scaled
    scales: np.ndarray  # (N,)


def trend_windows(
    series: dict[str, np.ndarray], *, first_month: int, origins: range, horizon: int = HORIZON
) -> TrendWindows:
    inputs, seasonal, targets, scales = [], [], [], []
    for values in series.values():
        for origin in origins:
            x, s, scale = trend_window(values, origin, first_month, horizon)
            inputs.append(x)
            seasonal.append(s)
            targets.append(values[origin + 1 : origin + 1 + horizon] / scale)
            scales.append(scale)
    return TrendWindows(
        inputs=torch.tensor(np.array(inputs), dtype=torch.float32),
        seasonal=torch.tensor(np.array(seasonal), dtype=torch.float32),
        targets=torch.tensor(np.array(targets), dtype=torch.float32),
        scales=np.array(scales),
    )


def trend_train(
    windows: TrendWindows, *, epochs: int = 150, hidden: int = 16, lr: float = 0.01, seed: int = 0
) -> tuple[TrendLSTM, list[float]]:
    torch_setup(seed=seed, training=True)
    model = TrendLSTM(hidden=hidden, horizon=windows.targets.shape[1])
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    losses = []
    for _ in range(epochs):
        model.train()
        loss = pinball_loss(model(windows.inputs, windows.seasonal), windows.targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    model.eval()
    return model, losses


def _mase_scale(history: np.ndarray) -> float:
    """In-sample MAE of the seasonal-naive forecast (naive when under two seasons of history)."""
    lag = SEASON if len(history) > SEASON else 1
    scale = float(np.mean(np.abs(history[lag:] - history[:-lag]))) if len(history) > lag else 0.0
    # A perfectly seasonal history has no in-sample error: scale by its level instead.
    return scale if scale > 1e-6 else max(float(np.mean(np.abs(history))), 1.0)


def trend_backtest_origins(n_months: int, *, horizon: int = HORIZON, n_origins: int = 4) -> range:
    last = n_months - 1 - horizon
    # At least one training window (origin INPUT_MONTHS - 1) must end before the first origin.
    first = max(INPUT_MONTHS - 1 + horizon, last - n_origins + 1)
    return range(first, last + 1)


def trend_backtest(
    series: dict[str, np.ndarray],
    *,
    first_month: int,
    horizon: int = HORIZON,
    n_origins: int = 4,
    epochs: int = 150,
    seed: int = 0,
) -> tuple[TrendLSTM, dict[str, dict[str, float]], list[float]]:
    """Rolling origin: the model is trained only on targets up to the first origin, then forecasts
    from each origin in turn; MASE and sMAPE are averaged over series and origins for the model, ETS,
    seasonal-naive and naive forecasts alike, and coverage_80 is the share of actual months inside each
    forecaster's 10-90 % band (0.8 when the band is honest)."""
    n_months = len(next(iter(series.values())))
    origins = trend_backtest_origins(n_months, horizon=horizon, n_origins=n_origins)
    train_origins = range(INPUT_MONTHS - 1, origins.start - horizon + 1)
    if len(origins) == 0 or len(train_origins) == 0:
        raise ValueError(f"{n_months} months are too few for a backtest (need {INPUT_MONTHS + 2 * horizon})")
    model, losses = trend_train(
        trend_windows(series, first_month=first_month, origins=train_origins, horizon=horizon), epochs=epochs, seed=seed
    )
    scores: dict[str, dict[str, list[float]]] = {
        name: {"mase": [], "smape": [], "coverage_80": []} for name in BACKTEST_FORECASTERS
    }
    for values in series.values():
        for origin in origins:
            history = values[: origin + 1]
            actual = values[origin + 1 : origin + 1 + horizon]
            scale = _mase_scale(history)
            bands = {
                "model": trend_forecast_from(model, history, first_month=first_month, horizon=horizon),
                "ets": ets_forecast(history, horizon=horizon),
                "seasonal_naive": seasonal_naive_forecast(history, horizon=horizon),
                "naive": naive_forecast(history, horizon=horizon),
            }
            for name, band in bands.items():
                scores[name]["mase"].append(mase(actual, band[:, MEDIAN], scale))
                scores[name]["smape"].append(smape(actual, band[:, MEDIAN]))
                scores[name]["coverage_80"].extend(((band[:, 0] <= actual) & (actual <= band[:, 2])).tolist())
    table = {name: {k: float(np.mean(v)) for k, v in metrics.items()} for name, metrics in scores.items()}
    return model, table, losses


def trend_model_mase(
    model: TrendLSTM, series: dict[str, np.ndarray], *, first_month: int, horizon: int = HORIZON, n_origins: int = 4
) -> float:
    """A trained model's MASE on the backtest's origins (how a stored champion is scored on new data)."""
    n_months = len(next(iter(series.values())))
    origins = trend_backtest_origins(n_months, horizon=horizon, n_origins=n_origins)
    values = [
        mase(
            series_values[origin + 1 : origin + 1 + horizon],
            trend_forecast_from(model, series_values[: origin + 1], first_month=first_month, horizon=horizon)[
                :, MEDIAN
            ],
            _mase_scale(series_values[: origin + 1]),
        )
        for series_values in series.values()
        for origin in origins
    ]
    return float(np.mean(values))


def trend_forecast_from(model: TrendLSTM, history: np.ndarray, *, first_month: int, horizon: int) -> np.ndarray:
    """Quantile forecasts (horizon, Q) of the torch net after the last month of `history`
    (ml.training.forecasts.trend_forecast_with: the recursion and the band)."""

    def predict(window: np.ndarray, seasonal: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(window), torch.from_numpy(seasonal))[0].numpy()

    return trend_forecast_with(predict, model.horizon, history, first_month=first_month, horizon=horizon)


def trend_train_final(
    series: dict[str, np.ndarray], *, first_month: int, epochs: int = 150, seed: int = 0
) -> TrendLSTM:
    """The serving model: trained on every window the history allows."""
    n_months = len(next(iter(series.values())))
    origins = range(INPUT_MONTHS - 1, n_months - HORIZON)
    model, _ = trend_train(trend_windows(series, first_month=first_month, origins=origins), epochs=epochs, seed=seed)
    return model
