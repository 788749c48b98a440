"""Monthly trend forecasting: windows, training, rolling-origin backtest against naive baselines.

A series is a numpy array of monthly demand (searches + recommendations + plays) for one genre or
region; all series share the same months. Each window is scaled by its last-12-month mean, so one
global model serves big and small series alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ml.nets.trends import QUANTILES, TrendLSTM, pinball_loss
from ml.training.metrics import mase, smape
from ml.training.runtime import torch_setup

SEASON = 12
INPUT_MONTHS = 13  # a year and a month: the window's first month is a year before its last
HORIZON = 3
MEDIAN = QUANTILES.index(0.5)
# Every forecaster of the backtest, the model first; the baselines are the three after it.
BACKTEST_FORECASTERS = ("model", "ets", "seasonal_naive", "naive")
TREND_BASELINES = BACKTEST_FORECASTERS[1:]


@dataclass(frozen=True)
class TrendWindows:
    inputs: torch.Tensor  # (N, L, 3): scaled value, sin and cos of the calendar month
    seasonal: torch.Tensor  # (N, H) scaled seasonal-naive values
    targets: torch.Tensor  # (N, H) scaled
    scales: np.ndarray  # (N,)


def _month_features(first_month: int, index: np.ndarray) -> np.ndarray:
    month = (first_month - 1 + index) % 12
    return np.stack([np.sin(2 * np.pi * month / 12), np.cos(2 * np.pi * month / 12)], axis=-1)


def _window(values: np.ndarray, origin: int, first_month: int, horizon: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Inputs and seasonal-naive values for a forecast made after month `origin` (inclusive)."""
    past = values[origin - INPUT_MONTHS + 1 : origin + 1]
    scale = float(values[max(0, origin - SEASON + 1) : origin + 1].mean()) + 1.0
    calendar = _month_features(first_month, np.arange(origin - INPUT_MONTHS + 1, origin + 1))
    inputs = np.concatenate([(past / scale)[:, None], calendar], axis=-1)
    seasonal = np.array([values[origin + h - SEASON] for h in range(1, horizon + 1)]) / scale
    return inputs, seasonal, scale


def trend_windows(
    series: dict[str, np.ndarray], *, first_month: int, origins: range, horizon: int = HORIZON
) -> TrendWindows:
    inputs, seasonal, targets, scales = [], [], [], []
    for values in series.values():
        for origin in origins:
            x, s, scale = _window(values, origin, first_month, horizon)
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


def naive_forecast(history: np.ndarray, *, horizon: int) -> np.ndarray:
    """The last month carried forward, with a band from the quantiles of its own past one-month changes."""
    values = np.asarray(history, dtype=np.float64)
    changes = np.diff(values) if len(values) > 1 else np.zeros(1)
    low, high = np.quantile(changes, [0.1, 0.9])
    widen = np.sqrt(np.arange(1, horizon + 1))
    point = np.full(horizon, values[-1])
    return np.stack([np.clip(point + low * widen, 0.0, None), point, np.clip(point + high * widen, 0.0, None)], -1)


def ets_forecast(history: np.ndarray, *, horizon: int) -> np.ndarray:
    """Exponential smoothing (Holt-Winters, additive, damped trend; additive yearly season once there are two
    years) with its parameters chosen by one-step-ahead squared error on the history: the classical
    baseline that is hard to beat on short monthly series. Returns (horizon, 3): the 10 % quantile, the
    point forecast and the 90 % quantile (the band from the quantiles of its own one-step errors, widened
    by sqrt(h))."""
    values = np.asarray(history, dtype=np.float64)
    seasonal = len(values) >= 2 * SEASON
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for alpha in (0.1, 0.3, 0.5, 0.8):
        for beta in (0.0, 0.05, 0.2):
            for gamma in (0.0, 0.1, 0.3) if seasonal else (0.0,):
                for phi in (0.8, 0.95, 1.0):
                    errors, path = _ets_run(values, alpha, beta, gamma, phi, seasonal, horizon)
                    sse = float(np.sum(errors**2))
                    if best is None or sse < best[0]:
                        best = (sse, errors, path)
    _, errors, path = best
    low, high = np.quantile(errors, [0.1, 0.9]) if len(errors) else (0.0, 0.0)
    widen = np.sqrt(np.arange(1, horizon + 1))
    return np.stack(
        [np.clip(path + low * widen, 0.0, None), np.clip(path, 0.0, None), np.clip(path + high * widen, 0.0, None)],
        axis=-1,
    )


def _ets_run(
    values: np.ndarray, alpha: float, beta: float, gamma: float, phi: float, seasonal: bool, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """One-step errors over the history and the forecast path after it."""
    if seasonal:
        mean = values[:SEASON].mean()
        trend = (values[SEASON : 2 * SEASON].mean() - mean) / SEASON
        middle = (SEASON - 1) / 2  # the first year's mean is the level in its middle month
        season = list(values[:SEASON] - (mean + (np.arange(SEASON) - middle) * trend))
        level = mean + middle * trend  # the level at the first year's last month
        start = SEASON
    else:
        level, trend, season, start = values[0], (values[1] - values[0]) if len(values) > 1 else 0.0, [0.0] * SEASON, 1
    errors = []
    for t in range(start, len(values)):
        s = season[t % SEASON]
        forecast = level + phi * trend + s
        errors.append(values[t] - forecast)
        previous = level
        level = alpha * (values[t] - s) + (1 - alpha) * (level + phi * trend)
        trend = beta * (level - previous) + (1 - beta) * phi * trend
        if seasonal:
            season[t % SEASON] = gamma * (values[t] - level) + (1 - gamma) * s
    damped = np.cumsum(phi ** np.arange(1, horizon + 1))
    path = np.array([level + damped[h] * trend + season[(len(values) + h) % SEASON] for h in range(horizon)])
    return np.array(errors), path


def trend_forecast_from(model: TrendLSTM, history: np.ndarray, *, first_month: int, horizon: int) -> np.ndarray:
    """Quantile forecasts (horizon, Q) after the last month of `history`; longer horizons than the
    net's own are produced recursively, feeding the medians back.

    The net's own 10-90 % band is too narrow (trained on few windows, it held about half of the actual
    months in the backtest), so the band is at least as wide as the spread of ETS's own one-step errors
    on this series' history, put around the net's median."""
    values = np.asarray(history, dtype=np.float64)
    out = []
    with torch.no_grad():
        while len(out) < horizon:
            origin = len(values) - 1
            x, s, scale = _window(values, origin, first_month, model.horizon)
            pred = model(torch.tensor(x[None], dtype=torch.float32), torch.tensor(s[None], dtype=torch.float32))
            quantiles = np.clip(pred[0].numpy() * scale, 0.0, None)
            out.extend(quantiles)
            values = np.concatenate([values, quantiles[:, MEDIAN]])
    out = np.array(out[:horizon])
    if len(history) > 2:
        ets = ets_forecast(np.asarray(history, dtype=np.float64), horizon=horizon)
        out[:, 0] = np.clip(np.minimum(out[:, 0], out[:, MEDIAN] - (ets[:, MEDIAN] - ets[:, 0])), 0.0, None)
        out[:, -1] = np.maximum(out[:, -1], out[:, MEDIAN] + (ets[:, -1] - ets[:, MEDIAN]))
    return out


def seasonal_naive_forecast(history: np.ndarray, *, horizon: int) -> np.ndarray:
    """The baseline's forecast with a band from its own past errors (10th-90th percentile)."""
    values = np.asarray(history, dtype=np.float64)
    lag = SEASON if len(values) > SEASON else 1
    errors = values[lag:] - values[:-lag] if len(values) > lag else np.zeros(1)
    low, high = np.quantile(errors, [0.1, 0.9])
    extended = list(values)
    out = []
    for _ in range(horizon):
        point = extended[-lag]
        extended.append(point)
        out.append((max(min(point + low, point), 0.0), point, max(point + high, point)))
    return np.array(out)


def trend_train_final(
    series: dict[str, np.ndarray], *, first_month: int, epochs: int = 150, seed: int = 0
) -> TrendLSTM:
    """The serving model: trained on every window the history allows."""
    n_months = len(next(iter(series.values())))
    origins = range(INPUT_MONTHS - 1, n_months - HORIZON)
    model, _ = trend_train(trend_windows(series, first_month=first_month, origins=origins), epochs=epochs, seed=seed)
    return model
