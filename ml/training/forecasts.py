"""Monthly forecasting without torch: the window a forecast is made from, the classical forecasts (naive,
seasonal naive, ETS) and the recursion and band of `trend_forecast_from`, given any one-window predictor.
Training (ml.training.trends, with the torch net) and the web process's numpy serving (ml.serving) share it,
so a served forecast is computed exactly as the backtest computed it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SEASON = 12
INPUT_MONTHS = 13  # a year and a month: the window's first month is a year before its last
HORIZON = 3
QUANTILES = (0.1, 0.5, 0.9)
MEDIAN = QUANTILES.index(0.5)
N_ANCHORS = 3  # naive, seasonal naive, growth-adjusted seasonal naive (ml.nets.trends.TrendLSTM.anchors)

# (window (1, L, 3) float32, seasonal (1, H) float32) -> scaled quantiles (H, Q) float32
WindowPredictor = Callable[[np.ndarray, np.ndarray], np.ndarray]


def month_features(first_month: int, index: np.ndarray) -> np.ndarray:
    month = (first_month - 1 + index) % 12
    return np.stack([np.sin(2 * np.pi * month / 12), np.cos(2 * np.pi * month / 12)], axis=-1)


def trend_window(
    values: np.ndarray, origin: int, first_month: int, horizon: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Inputs and seasonal-naive values for a forecast made after month `origin` (inclusive), scaled by the
    last-12-month mean, and that scale."""
    past = values[origin - INPUT_MONTHS + 1 : origin + 1]
    scale = float(values[max(0, origin - SEASON + 1) : origin + 1].mean()) + 1.0
    calendar = month_features(first_month, np.arange(origin - INPUT_MONTHS + 1, origin + 1))
    inputs = np.concatenate([(past / scale)[:, None], calendar], axis=-1)
    seasonal = np.array([values[origin + h - SEASON] for h in range(1, horizon + 1)]) / scale
    return inputs, seasonal, scale


def trend_forecast_with(
    predict: WindowPredictor, net_horizon: int, history: np.ndarray, *, first_month: int, horizon: int
) -> np.ndarray:
    """Quantile forecasts (horizon, Q) after the last month of `history`; longer horizons than the
    net's own are produced recursively, feeding the medians back.

    The net's own 10-90 % band is too narrow (trained on few windows, it held about half of the actual
    months in the backtest), so the band is at least as wide as the spread of ETS's own one-step errors
    on this series' history, put around the net's median."""
    values = np.asarray(history, dtype=np.float64)
    out = []
    while len(out) < horizon:
        origin = len(values) - 1
        x, s, scale = trend_window(values, origin, first_month, net_horizon)
        pred = predict(x[None].astype(np.float32), s[None].astype(np.float32))
        quantiles = np.clip(pred * scale, 0.0, None)
        out.extend(quantiles)
        values = np.concatenate([values, quantiles[:, MEDIAN]])
    out = np.array(out[:horizon])
    if len(history) > 2:
        ets = ets_forecast(np.asarray(history, dtype=np.float64), horizon=horizon)
        out[:, 0] = np.clip(np.minimum(out[:, 0], out[:, MEDIAN] - (ets[:, MEDIAN] - ets[:, 0])), 0.0, None)
        out[:, -1] = np.maximum(out[:, -1], out[:, MEDIAN] + (ets[:, -1] - ets[:, MEDIAN]))
    return out


def naive_forecast(history: np.ndarray, *, horizon: int) -> np.ndarray:
    """The last month carried forward, with a band from the quantiles of its own past one-month changes."""
    values = np.asarray(history, dtype=np.float64)
    changes = np.diff(values) if len(values) > 1 else np.zeros(1)
    low, high = np.quantile(changes, [0.1, 0.9])
    widen = np.sqrt(np.arange(1, horizon + 1))
    point = np.full(horizon, values[-1])
    return np.stack([np.clip(point + low * widen, 0.0, None), point, np.clip(point + high * widen, 0.0, None)], -1)


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
