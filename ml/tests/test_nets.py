"""Each net trains on tiny tensors and its loss falls; the metrics are right on hand-made cases."""

import numpy as np
import pytest
import torch

from ml.training.metrics import mase, rank_of_target, roc_auc, smape
from ml.training.recommender import (
    BundleRanker,
    bundle_evaluate,
    ease_weights,
    item_knn_scorer,
    popularity_scorer,
    rec_compare,
    rec_data_build,
    rec_evaluate,
    rec_fit,
    rec_train,
    rec_validation_split,
)
from ml.training.session_quality import LogisticRegression, SessionSet, session_predict, session_train
from ml.training.trends import ets_forecast, trend_backtest, trend_forecast_from, trend_train, trend_windows


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


def test_recommender_fit_beats_popularity_on_clear_tastes_and_reports_every_baseline():
    rows = _taste_rows()
    features = {f"i{i}": [1.0, 0.0] if i < 10 else [0.0, 1.0] for i in range(20)}
    data = rec_data_build(rows=rows, item_features=features)
    assert len(data.test) == 40 and data.item_features.shape == (21, 2)
    fit = rec_fit(data, max_epochs=6, dim=8, max_len=5, batch_size=16, ease_l2=10.0)
    assert fit.losses[-1] < fit.losses[0]
    assert 1 <= fit.epochs <= 6 and set(fit.blend) == {"sequential", "ease", "item_knn"}
    table = rec_compare(data, fit)
    assert set(table) == {"model", "popularity", "item_knn", "ease"}
    assert table["model"]["hr@10"] > table["popularity"]["hr@10"]


def test_sequential_net_learns_order_that_co_occurrence_cannot_see():
    """Every user walks the same cycle of items from a random start: the next item is fixed by the last one,
    while every item co-occurs with every other, so only the order tells."""
    rng = np.random.default_rng(0)
    rows = []
    for u in range(60):
        start = int(rng.integers(0, 12))
        rows += [(f"u{u}", f"i{(start + t) % 12}", float(t)) for t in range(8)]
    data = rec_data_build(rows=rows)
    model, losses, _ = rec_train(data, epochs=40, dim=16, max_len=6, batch_size=32, lr=0.01, dropout=0.0)
    assert losses[-1] < losses[0]
    from ml.training.recommender import model_scorer

    sequential = rec_evaluate(data, model_scorer(model, data), k=1)["hr@1"]
    assert sequential > 0.8
    assert sequential > rec_evaluate(data, item_knn_scorer(data), k=1)["hr@1"] + 0.3


def test_validation_split_holds_out_the_second_to_last_and_never_the_test_item():
    rows = [("a", "x", 1.0), ("a", "y", 2.0), ("a", "z", 3.0), ("b", "x", 1.0), ("b", "y", 2.0)]
    data = rec_data_build(rows=rows)
    valid = rec_validation_split(data)
    a, b = data.user_index["a"], data.user_index["b"]
    assert data.test[a] == data.item_index["z"] and valid.test[a] == data.item_index["y"]
    assert valid.train[a] == [data.item_index["x"]]
    assert b not in valid.test and valid.train[b] == [data.item_index["x"]]  # one training item: nothing to hold out
    for u, items in valid.train.items():
        assert data.test.get(u) not in items and valid.test.get(u) not in items


def test_ease_weights_follow_co_occurrence_and_never_an_item_itself():
    rows = [("a", "x", 1), ("a", "y", 2), ("b", "x", 1), ("b", "y", 2), ("c", "x", 1), ("c", "z", 2), ("d", "z", 1)]
    data = rec_data_build(rows=rows, holdout=False)
    weights = ease_weights(data, l2=0.5)
    x, y, z = (data.item_index[k] for k in "xyz")
    assert np.allclose(np.diag(weights), 0.0)
    assert weights[x, y] > 0 and weights[x, y] > weights[x, z]


def test_the_stored_bundle_ranks_exactly_as_the_evaluated_blend():
    """Serving and the champion's re-evaluation load the bundle; it must score what training scored."""
    rows = [(u, i, t) for u, i, t in _taste_rows(n_users=30)]
    rows = [(int(u[1:]) + 1, int(i[1:]) + 1, t) for u, i, t in rows]
    features = {i + 1: [1.0, 0.0] if i < 10 else [0.0, 1.0] for i in range(20)}
    data = rec_data_build(rows=rows, item_features=features)
    fit = rec_fit(data, max_epochs=3, dim=8, max_len=5, batch_size=16, ease_l2=10.0)
    bundle = fit.bundle(data)
    assert bundle_evaluate(bundle, data) == pytest.approx(rec_evaluate(data, fit.scorer(data)))
    # A room the bundle never saw still gets a score, from its content alone.
    ranker = BundleRanker(bundle)
    catalogue = ranker.catalogue([1, 2, 999], np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]], dtype=np.float32))
    scores = ranker.scores(catalogue, history=[1, 2], preferences=None)
    assert scores.shape == (4,) and np.isfinite(scores[1:]).all()


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


def test_trend_backtest_reports_model_and_three_baselines_with_band_coverage():
    months = np.arange(20)
    series = {"a": 10.0 + months, "b": 30.0 + 5 * np.cos(2 * np.pi * months / 12)}
    _, table, _ = trend_backtest(series, first_month=3, n_origins=2, epochs=10)
    assert set(table) == {"model", "ets", "seasonal_naive", "naive"}
    assert all(set(v) == {"mase", "smape", "coverage_80"} for v in table.values())
    assert all(0.0 <= v["coverage_80"] <= 1.0 for v in table.values())
    # A straight line: the naive forecast lags by the slope, the seasonal one by twelve slopes; ETS follows it.
    assert table["naive"]["mase"] < table["seasonal_naive"]["mase"]
    assert table["ets"]["mase"] < table["naive"]["mase"]


def test_ets_follows_trend_and_season_with_an_ordered_band():
    months = np.arange(36)
    values = 100 + 2.0 * months + 20 * np.sin(2 * np.pi * months / 12)
    forecast = ets_forecast(values, horizon=3)
    actual = 100 + 2.0 * np.arange(36, 39) + 20 * np.sin(2 * np.pi * np.arange(36, 39) / 12)
    assert forecast.shape == (3, 3)
    assert np.all(forecast[:, 0] <= forecast[:, 1]) and np.all(forecast[:, 1] <= forecast[:, 2])
    assert np.max(np.abs(forecast[:, 1] - actual)) < 3.0
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


def test_interactions_carry_a_weight_that_the_neighbour_models_use():
    """(user, item, timestamp, weight): a strong signal (a play) counts more than a weak one (a click)."""
    rows = [("a", "x", 1, 3.0), ("a", "y", 2, 1.0), ("a", "x", 5, 0.5), ("b", "x", 1), ("b", "y", 2)]
    data = rec_data_build(rows=rows, holdout=False)
    a, x, y = data.user_index["a"], data.item_index["x"], data.item_index["y"]
    assert data.weights == {(a, x): 3.0}  # strongest weight of the pair, weight 1 is the default
    assert data.train[a] == [x, y]  # a pair counts once, at its first time
    scores = item_knn_scorer(data)(np.array([a]))[0]
    weak = rec_data_build(rows=[(u, i, t) for u, i, t, *_ in rows], holdout=False)
    assert scores[y] > item_knn_scorer(weak)(np.array([a]))[0][y]
