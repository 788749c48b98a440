"""Each net trains on tiny tensors and its loss falls; the metrics are right on hand-made cases."""

import numpy as np
import pytest
import torch

from ml.training.metrics import mase, rank_of_target, roc_auc, smape
from ml.training.recommender import item_knn_scorer, popularity_scorer, rec_compare, rec_data_build, rec_train
from ml.training.session_quality import LogisticRegression, SessionSet, session_predict, session_train
from ml.training.trends import trend_backtest, trend_forecast_from, trend_train, trend_windows


def _taste_rows(n_users=40, n_items=20, per_user=6, seed=0):
    """Two groups of users, each playing mostly its own half of the items (in time order)."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        half = u % 2
        for t in range(per_user):
            item = int(rng.integers(0, n_items // 2)) + half * (n_items // 2)
            rows.append((f"u{u}", f"i{item}", float(t)))
    return rows


def test_recommender_loss_falls_and_beats_popularity_on_clear_tastes():
    rows = _taste_rows()
    features = {f"i{i}": [1.0, 0.0] if i < 10 else [0.0, 1.0] for i in range(20)}
    data = rec_data_build(rows=rows, item_features=features)
    assert len(data.test) == 40 and data.item_features.shape == (21, 2)
    model, losses = rec_train(data, epochs=8, dim=8, batch_size=64)
    assert losses[-1] < losses[0]
    table = rec_compare(data, model)
    assert set(table) == {"model", "popularity", "item_knn"}
    assert table["model"]["hr@10"] > table["popularity"]["hr@10"]


def test_leave_last_out_holds_out_the_latest_interaction():
    rows = [("a", "x", 3.0), ("a", "y", 1.0), ("a", "z", 2.0), ("b", "x", 1.0)]
    data = rec_data_build(rows=rows)
    a = data.user_index["a"]
    assert data.item_keys[data.test[a] - 1] == "x"
    assert [data.item_keys[i - 1] for i in data.train[a]] == ["y", "z"]
    assert data.user_index["b"] not in data.test  # one interaction: nothing to hold out


def test_baselines_rank_as_expected():
    rows = [("a", "x", 1), ("a", "y", 2), ("b", "x", 1), ("b", "y", 2), ("c", "x", 1), ("c", "z", 2), ("d", "x", 1)]
    data = rec_data_build(rows=rows, holdout=False)
    x, y, z = (data.item_index[k] for k in "xyz")
    popularity = popularity_scorer(data)(np.array([1]))[0]
    assert popularity[x] > popularity[y] > popularity[z]
    knn = item_knn_scorer(data)(np.array([data.user_index["d"]]))[0]
    assert knn[y] > knn[z] > 0  # x co-occurs with y twice, with z once


def test_trend_lstm_loss_falls_and_forecast_has_ordered_band():
    rng = np.random.default_rng(0)
    months = np.arange(20)
    series = {str(k): 50 + 20 * np.sin(2 * np.pi * months / 12) + rng.normal(0, 2, 20) for k in range(4)}
    windows = trend_windows(series, first_month=1, origins=range(12, 16))
    model, losses = trend_train(windows, epochs=40, hidden=8)
    assert losses[-1] < losses[0]
    forecast = trend_forecast_from(model, series["0"], first_month=1, horizon=5)
    assert forecast.shape == (5, 3)
    assert np.all(forecast[:, 0] <= forecast[:, 1]) and np.all(forecast[:, 1] <= forecast[:, 2])


def test_trend_backtest_reports_model_and_both_baselines():
    months = np.arange(20)
    series = {"a": 10.0 + months, "b": 30.0 + 5 * np.cos(2 * np.pi * months / 12)}
    _, table, _ = trend_backtest(series, first_month=3, n_origins=2, epochs=10)
    assert set(table) == {"model", "seasonal_naive", "naive"}
    assert all(set(v) == {"mase", "smape"} for v in table.values())
    # A straight line: the naive forecast lags by the slope, the seasonal one by twelve slopes.
    assert table["naive"]["mase"] < table["seasonal_naive"]["mase"]
    with pytest.raises(ValueError):
        trend_backtest({"a": np.ones(10)}, first_month=1)


def test_session_net_loss_falls_and_attention_is_a_distribution():
    rng = np.random.default_rng(0)
    steps, labels = [], []
    for _ in range(64):
        length = int(rng.integers(2, 7))
        s = rng.normal(size=(length, 3)).astype(np.float32)
        steps.append(s)
        labels.append(float(s[-1, 0] > 0))  # the last message decides
    sessions = SessionSet(steps=steps, labels=np.array(labels))
    model, losses = session_train(sessions, epochs=15, hidden=8, lr=0.02)
    assert losses[-1] < losses[0]
    probabilities, attention = session_predict(model, steps[:3])
    assert probabilities.shape == (3,)
    for weights, s in zip(attention, steps[:3], strict=True):
        assert len(weights) == len(s) and abs(float(weights.sum()) - 1.0) < 1e-5


def test_logistic_regression_separates_and_round_trips():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 2))
    y = (x[:, 0] - x[:, 1] > 0).astype(float)
    lr = LogisticRegression.fit(x, y)
    assert roc_auc(y, lr.predict(x)) > 0.95
    again = LogisticRegression.from_dict(lr.to_dict())
    assert np.allclose(again.predict(x), lr.predict(x))


def test_metrics_on_known_values():
    assert rank_of_target(np.array([0.1, 0.9, 0.5]), 2) == 1
    assert rank_of_target(np.array([0.5, 0.5]), 0) == 1  # ties count against the target
    assert mase(np.array([2.0, 4.0]), np.array([1.0, 4.0]), scale=0.5) == pytest.approx(1.0)
    assert smape(np.array([100.0]), np.array([50.0])) == pytest.approx(200 * 50 / 150)
    assert smape(np.array([0.0]), np.array([0.0])) == 0.0
    assert roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)


def test_torch_threads_follow_the_settings(settings):
    from ml.training.runtime import torch_setup

    settings.ML_TORCH_THREADS, settings.ML_TORCH_TRAIN_THREADS = 1, 2
    torch_setup()
    assert torch.get_num_threads() == 1
    torch_setup(training=True)
    assert torch.get_num_threads() == 2
    torch_setup()
    assert torch.get_num_threads() == 1
