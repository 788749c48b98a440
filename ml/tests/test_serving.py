"""Serving without torch: the numpy forward passes equal the torch nets', a promotion publishes the serving copy
(a losing candidate publishes nothing), and a web process answers every ML request from the published copies
with torch, mlflow and SQLAlchemy never imported."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
import torch
from django.conf import settings
from django.core.management import call_command

from ml import inference, tracking
from ml.datasets import MESSAGE_FEATURES, Step, message_features
from ml.features import EMBEDDING_DIM, ROOM_FEATURE_NAMES, USER_FEATURE_NAMES
from ml.models import ServedModel
from ml.nets.recommender import SequentialRecommender
from ml.nets.session_quality import SessionQualityNet
from ml.nets.trends import TrendLSTM
from ml.serving import (
    SequentialNet,
    ServedRanker,
    SessionNet,
    TrendNet,
    bundle_pack,
    bundle_unpack,
    gelu,
    session_predict,
)
from ml.tracking import training_run_record
from ml.training.blend import Neighbours
from ml.training.recommender import BundleRanker
from ml.training.session_quality import session_predict as torch_session_predict
from ml.training.trends import trend_forecast_from
from testing.champions import champion_record, recommender_champion_train

FEATURES = len(ROOM_FEATURE_NAMES) + EMBEDDING_DIM  # what a room's content vector holds in production


def _randomised(module: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Every parameter moved off its initial value (LayerNorm's ones and zeros, the zero head and biases),
    so each one matters to the comparison."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.add_(0.3 * torch.randn(parameter.shape, generator=generator))
    return module.eval()


def _served(bundle: dict) -> dict:
    """The bundle as a web process reads it: packed for the table, unpacked again."""
    return bundle_unpack(*bundle_pack(bundle))


# --- numpy forward passes equal torch's ------------------------------------------------------------------


def test_gelu_is_torchs_exact_gelu():
    x = np.linspace(-12, 12, 4001, dtype=np.float32)
    expected = torch.nn.functional.gelu(torch.from_numpy(x)).numpy()
    assert gelu(x).dtype == np.float32
    np.testing.assert_allclose(gelu(x), expected, rtol=1e-5, atol=1e-6)
    # -1.5 x Phi(-1.5); the tanh approximation is 2e-4 away: this is the exact GELU.
    assert abs(float(gelu(np.array([-1.5], dtype=np.float32))[0]) - (-0.1002108)) < 1e-6


@pytest.mark.parametrize(("content", "users", "layers"), [(True, True, 2), (False, False, 1), (True, False, 3)])
def test_sequential_net_matches_torch_with_padding_and_the_last_position_path(content, users, layers):
    net = _randomised(
        SequentialRecommender(
            n_items=40,
            item_feature_dim=FEATURES if content else 0,
            user_feature_dim=len(USER_FEATURE_NAMES) if users else 0,
            dim=48,
            max_len=30,
            layers=layers,
            heads=2,
        ),
        seed=layers,
    )
    bundle = _served({"state_dict": net.state_dict(), "config": net.config})
    served = SequentialNet(bundle["state_dict"], bundle["config"])
    rng = np.random.default_rng(0)
    features = rng.random((41, FEATURES), dtype=np.float32) if content else None
    if features is not None:
        features[0] = 0.0
    # Left-padded histories: 3 rooms, 1 room, a full window, none at all.
    history = np.zeros((4, 30), dtype=np.int64)
    history[0, -3:] = [5, 17, 2]
    history[1, -1] = 40
    history[2] = rng.integers(1, 41, 30)
    prefs = rng.integers(0, 2, (4, len(USER_FEATURE_NAMES))).astype(np.float32) if users else None

    with torch.no_grad():
        items, bias = net.item_vectors(None if features is None else torch.from_numpy(features))
        expected_full = net.encode(torch.from_numpy(history), items, None if prefs is None else torch.from_numpy(prefs))
        expected_last = net.encode(
            torch.from_numpy(history), items, None if prefs is None else torch.from_numpy(prefs), last_only=True
        )
    served_items, served_bias = served.item_vectors(features)
    np.testing.assert_allclose(served_items, items.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(served_bias, bias.detach().numpy())
    full = served.encode(history, served_items, prefs)
    last = served.encode(history, served_items, prefs, last_only=True)
    assert full.shape == (4, 30, 48) and last.shape == (4, 1, 48)
    np.testing.assert_allclose(full, expected_full.numpy(), rtol=1e-4, atol=2e-5)
    np.testing.assert_allclose(last, expected_last.numpy(), rtol=1e-4, atol=2e-5)
    # A history shorter than max_len as a shorter window: positions from the end, as torch takes them.
    with torch.no_grad():
        short = net.encode(torch.from_numpy(history[:, -5:]), items, None if prefs is None else torch.from_numpy(prefs))
    np.testing.assert_allclose(served.encode(history[:, -5:], served_items, prefs), short.numpy(), atol=2e-5)


def _random_blend_bundle(n_items: int = 60, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    net = _randomised(
        SequentialRecommender(
            n_items=n_items, item_feature_dim=FEATURES, user_feature_dim=len(USER_FEATURE_NAMES), dim=48, max_len=30
        ),
        seed=seed,
    )
    k = min(100, n_items)
    tables = {}
    for name in ("ease", "knn"):
        neighbours = Neighbours.from_matrix(rng.normal(size=(n_items + 1, n_items + 1)).astype(np.float32), k=k)
        tables[f"{name}_index"] = torch.from_numpy(neighbours.index)
        tables[f"{name}_value"] = torch.from_numpy(neighbours.value)
    return {
        "kind": "sequential_blend",
        "state_dict": net.state_dict(),
        "config": net.config,
        "item_keys": torch.arange(101, 101 + n_items),  # room ids 101..160
        **tables,
        "blend": {"sequential": 1.0, "ease": 0.5, "item_knn": 0.25},
    }


def test_served_ranker_scores_every_room_as_the_torch_bundle_ranker_does():
    bundle = _random_blend_bundle()
    torch_ranker, served_ranker = BundleRanker(bundle), ServedRanker(_served(bundle))
    rng = np.random.default_rng(1)
    # Today's catalogue: most rooms the bundle knows, 20 it never saw (scored from content), 10 gone.
    keys = [*range(111, 161), *range(500, 520)]
    features = rng.random((len(keys), FEATURES), dtype=np.float32)
    expected_catalogue = torch_ranker.catalogue(keys, features)
    catalogue = served_ranker.catalogue(keys, features)
    np.testing.assert_allclose(catalogue.vectors, expected_catalogue.vectors.numpy(), rtol=1e-5, atol=1e-5)
    assert np.array_equal(catalogue.bundle_index, expected_catalogue.bundle_index)
    assert catalogue.bundle_index[-1] == 0 and catalogue.bundle_index[1] == 11  # new room: unknown; 111: item 11
    prefs = [0.0] * len(USER_FEATURE_NAMES)
    prefs[2] = 1.0
    cases = [
        ([120, 133, 140], prefs),  # shorter than max_len
        ([505, 120, 511], None),  # rooms the bundle never saw in the history
        (list(rng.choice(keys, 40, replace=False)), prefs),  # longer than max_len: the last 30
        ([], prefs),  # a cold user: preferences only
        ([105, 999], None),  # only rooms no longer in the catalogue
    ]
    for history, preferences in cases:
        expected = torch_ranker.components(expected_catalogue, history, preferences)
        parts = served_ranker.components(catalogue, history, preferences)
        assert set(parts) == set(expected) == {"sequential", "ease", "item_knn"}
        for name in parts:
            np.testing.assert_allclose(parts[name], expected[name], rtol=1e-4, atol=5e-5, err_msg=name)
        np.testing.assert_allclose(
            served_ranker.scores(catalogue, history, preferences),
            torch_ranker.scores(expected_catalogue, history, preferences),
            atol=1e-4,
        )


def test_trend_net_matches_torch_and_forecasts_past_its_horizon_the_same():
    net = _randomised(TrendLSTM(hidden=16, horizon=3), seed=3)
    bundle = _served({"state_dict": net.state_dict(), "config": net.config})
    served = TrendNet(bundle["state_dict"], bundle["config"])
    rng = np.random.default_rng(2)
    window = rng.random((5, 13, 3), dtype=np.float32)
    seasonal = rng.random((5, 3), dtype=np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(window), torch.from_numpy(seasonal)).numpy()
    out = served(window, seasonal)
    assert out.shape == (5, 3, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    assert np.all(np.diff(out, axis=-1) >= 0)
    history = 40 + 15 * np.sin(np.arange(22) / 2) + rng.normal(0, 3, 22)
    for horizon in (1, 3, 7):  # 7: recursive, the medians fed back
        np.testing.assert_allclose(
            served.forecast(history, first_month=4, horizon=horizon),
            trend_forecast_from(net, history, first_month=4, horizon=horizon),
            rtol=1e-5,
            atol=1e-4,
        )


def test_session_net_matches_torch_with_masks_and_long_sessions():
    net = _randomised(SessionQualityNet(feature_dim=len(MESSAGE_FEATURES), hidden=32), seed=4)
    bundle = _served({"state_dict": net.state_dict(), "config": net.config})
    served = SessionNet(bundle["state_dict"], bundle["config"])
    rng = np.random.default_rng(3)
    # Lengths 3 and 1, one past MAX_STEPS (the last 24 count), an empty session, one of 7: padded together.
    steps = [rng.random((n, len(MESSAGE_FEATURES)), dtype=np.float32) for n in (3, 1, 30, 0, 7)]
    expected_probabilities, expected_attention = torch_session_predict(net, steps)
    probabilities, attention = session_predict(served, steps)
    np.testing.assert_allclose(probabilities, expected_probabilities, rtol=1e-5, atol=1e-6)
    assert [len(a) for a in attention] == [3, 1, 24, 1, 7]
    for got, want in zip(attention, expected_attention, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        assert abs(float(got.sum()) - 1.0) < 1e-5
    assert session_predict(served, [])[0].shape == (0,)


def test_the_serving_copy_holds_weights_as_float32_and_plain_values_as_json():
    bundle = _random_blend_bundle(n_items=8)
    payload, meta = bundle_pack({**bundle, "logistic": {"weights": [0.5, -1.25], "bias": 0.1}})
    assert json.loads(json.dumps(meta)) == meta  # what the JSON column stores
    assert meta["config"] == bundle["config"] and meta["blend"] == bundle["blend"] and "state_dict" not in meta
    again = bundle_unpack(payload, meta)
    assert again["logistic"] == {"weights": [0.5, -1.25], "bias": 0.1}
    assert set(again["state_dict"]) == set(bundle["state_dict"])
    assert all(array.dtype == np.float32 for array in again["state_dict"].values())
    for name, tensor in bundle["state_dict"].items():
        assert np.array_equal(again["state_dict"][name], tensor.numpy())
    assert again["ease_index"].dtype == np.int32 and np.array_equal(again["ease_index"], bundle["ease_index"].numpy())
    with pytest.raises(ValueError, match="::"):
        bundle_pack({"state_dict": {"a::b": np.zeros(2)}})


# --- publishing at promotion ---------------------------------------------------------------------------------


def _session_record(auc: float, baseline_auc: float, *, seed: int, bias: float = 0.25):
    torch.manual_seed(seed)
    net = SessionQualityNet(feature_dim=3, hidden=4)
    return training_run_record(
        model_name="session_quality",
        params={"hidden": 4},
        metrics={"roc_auc": auc},
        baseline_metrics={"logistic_regression": {"roc_auc": baseline_auc}},
        validation_metric="roc_auc",
        baseline_name="logistic_regression",
        higher_is_better=True,
        bundle={"state_dict": net.state_dict(), "config": net.config},
        baseline_bundle={"logistic": {"weights": [0.0] * 7, "bias": bias, "mean": [0.0] * 7, "std": [1.0] * 7}},
    )


def _row(name: str) -> ServedModel | None:
    return ServedModel.objects.filter(name=name).first()


@pytest.mark.django_db
def test_a_new_champion_replaces_the_served_copy_and_a_losing_candidate_publishes_nothing():
    first = _session_record(0.70, 0.60, seed=0)
    champion = _row("session_quality")
    assert first.promoted and champion.version == "1" and champion.run_id == first.run_id
    assert _row("session_quality.baseline").version == "1"

    losing = _session_record(0.65, 0.60, seed=1, bias=0.5)  # beats its baseline, not the champion
    assert not losing.promoted
    unchanged = _row("session_quality")
    assert (unchanged.version, unchanged.published_at, bytes(unchanged.payload)) == (
        "1",
        champion.published_at,
        bytes(champion.payload),
    )
    # The newest run's baseline is what answers without a champion: it follows every run.
    baseline = _row("session_quality.baseline")
    assert baseline.version == "2" and baseline.meta["logistic"]["bias"] == 0.5

    better = _session_record(0.80, 0.60, seed=2)
    assert better.promoted
    assert ServedModel.objects.filter(name="session_quality").count() == 1
    replaced = _row("session_quality")
    assert replaced.version == "3" and replaced.run_id == better.run_id and replaced.payload != champion.payload
    # What is served is the new champion's weights.
    net = tracking.bundle_load(model_name="session_quality", version="3")["state_dict"]
    served = bundle_unpack(replaced.payload, replaced.meta)["state_dict"]
    assert all(np.array_equal(served[k], v.numpy()) for k, v in net.items())
    steps = np.ones((3, 3), dtype=np.float32)
    assert inference.session_quality_predict(steps=steps)[2] == "session_quality:v3"


@pytest.mark.django_db
def test_a_champion_serving_cannot_use_is_withdrawn_so_the_baseline_answers():
    from testing.factories import RoomFactory

    room = RoomFactory(review_count=0)
    old = {"state_dict": {}, "config": {}, "kind": "mf"}  # a recommender from before the sequential blend
    ServedModel.objects.create(name="recommender", version="0", payload=b"", meta={}, published_at=datetime.now(UTC))
    champion_record("recommender", old, "ndcg@10", baseline="popularity")
    assert tracking.champion_version(model_name="recommender") == "1"
    assert _row("recommender") is None
    assert inference.recommender_scores(user_id=1, room_ids=[room.id])[1] == inference.POPULARITY_VERSION


@pytest.mark.django_db
def test_ml_publish_publishes_a_registry_trained_before_serving_copies_and_follows_the_alias(capsys):
    first = _session_record(0.70, 0.60, seed=0)
    _session_record(0.65, 0.60, seed=1)  # loses: v1 stays champion, v2 is the newest run
    ServedModel.objects.all().delete()  # as a registry trained before this table existed
    assert inference.session_quality_predict(steps=np.ones((2, 3), dtype=np.float32), base_rate=0.4)[2] == (
        inference.BASE_RATE_VERSION
    )

    call_command("ml_publish")
    out = capsys.readouterr().out
    assert "session_quality: published v1" in out and "session_quality.baseline: published v2" in out
    assert "recommender: no champion in the registry" in out and "trends: no champion in the registry" in out
    assert _row("session_quality").run_id == first.run_id and _row("session_quality.baseline").version == "2"
    assert inference.session_quality_predict(steps=np.ones((2, 3), dtype=np.float32))[2] == "session_quality:v1"
    published_at = _row("session_quality").published_at

    call_command("ml_publish", "session_quality")
    assert "session_quality: v1 already published" in capsys.readouterr().out
    assert _row("session_quality").published_at == published_at

    # An alias moved by hand (a rollback to no champion): the copy goes, the newest baseline answers.
    tracking.mlflow_client().delete_registered_model_alias("session_quality", tracking.CHAMPION_ALIAS)
    call_command("ml_publish", "session_quality")
    assert "session_quality: no champion in the registry (served copy withdrawn)" in capsys.readouterr().out
    assert _row("session_quality") is None
    assert inference.session_quality_predict(steps=np.ones((2, 3), dtype=np.float32))[2] == (
        "baseline:logistic_regression:v2"
    )


@pytest.mark.django_db
def test_ml_publish_without_a_tracking_store_says_so_and_changes_nothing(settings, tmp_path, capsys):
    ServedModel.objects.create(name="trends", version="4", payload=b"", meta={}, published_at=datetime.now(UTC))
    settings.ML_MLFLOW_TRACKING_URI = f"sqlite:///{tmp_path / 'none' / 'mlflow.db'}"
    call_command("ml_publish")
    assert "nothing to publish" in capsys.readouterr().out
    assert _row("trends").version == "4" and not (tmp_path / "none").exists()


# --- end to end: tiny champions trained by the training code, answered by numpy -----------------------------


def _catalogue_and_plays():
    """Ten rooms (one added after training), fourteen players over 18 months, two of them new."""
    from testing.factories import ReviewFactory, RoomFactory, StoreFactory, UserFactory

    store = StoreFactory()
    rooms = [RoomFactory(store=store, genres=["추리" if n % 2 else "감성"], fear=n % 5) for n in range(10)]
    users = [UserFactory(favorite_genres=["추리"] if u % 3 else []) for u in range(14)]
    for u, user in enumerate(users):
        for step in range(4):
            month = (u + 4 * step) % 18
            ReviewFactory(
                user=user,
                room=rooms[(u + 2 * step) % 10],
                rating=4,
                played_on=date(2025, 1, 1) + timedelta(days=31 * month + u),
            )
    return rooms, users


def _champions_train() -> dict:
    """A champion of each model, trained by the training code and registered (so published)."""
    from ml.selectors import monthly_demand
    from ml.training.session_quality import SessionSet, session_train
    from ml.training.trends import trend_train_final

    recommender_champion_train(max_epochs=2, dim=8, max_len=5, ease_l2=10.0)
    months, series = monthly_demand(kind="genre")
    trend = trend_train_final(series, first_month=months[0].month, epochs=5)
    champion_record("trends", {"state_dict": trend.state_dict(), "config": trend.config}, "mase", higher=False)
    rng = np.random.default_rng(0)
    steps = [rng.random((int(rng.integers(1, 8)), len(MESSAGE_FEATURES)), dtype=np.float32) for _ in range(24)]
    session_net, _ = session_train(SessionSet(steps=steps, labels=np.arange(24) % 2.0), epochs=2, hidden=8)
    session_bundle = {"state_dict": session_net.state_dict(), "config": session_net.config}
    champion_record("session_quality", session_bundle, "roc_auc")
    return {name: tracking.champion_version(model_name=name) for name in ("recommender", "trends", "session_quality")}


def _torch_answers(user_id: int, room_ids: list[int], session_steps: np.ndarray) -> dict:
    """What the torch path answers with the registered champions (loaded from MLflow)."""
    from ml import selectors

    ranker = BundleRanker(tracking.bundle_load(model_name="recommender", version="1"))
    features = selectors.room_feature_rows()
    keys = sorted(features)
    catalogue = ranker.catalogue(keys, np.array([features[k] for k in keys], dtype=np.float32))
    genres, regions = selectors.user_preferences(user_id=user_id)
    from ml.features import user_features

    scores = ranker.scores(
        catalogue,
        selectors.user_history_room_ids(user_id=user_id),
        user_features(favorite_genres=genres, favorite_regions=regions),
    )
    trend_bundle = tracking.bundle_load(model_name="trends", version="1")
    trend = TrendLSTM(**trend_bundle["config"])
    trend.load_state_dict(trend_bundle["state_dict"])
    trend.eval()
    months, series = selectors.monthly_demand(kind="genre")
    session_bundle = tracking.bundle_load(model_name="session_quality", version="1")
    session_net = SessionQualityNet(**session_bundle["config"])
    session_net.load_state_dict(session_bundle["state_dict"])
    session_net.eval()
    probabilities, attention = torch_session_predict(session_net, [session_steps])
    return {
        "scores": {r: float(scores[catalogue.row[r]]) for r in room_ids},
        "trends": {
            key: trend_forecast_from(trend, values, first_month=months[0].month, horizon=3)
            for key, values in series.items()
            if values.sum() > 0
        },
        "session": (float(probabilities[0]), attention[0].tolist()),
    }


def _session_steps() -> list[Step]:
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    return [
        Step(role="user", intent="room_recommendation", entities={"region": "강남"}, chars=12, at=start),
        Step(
            role="assistant",
            intent="room_recommendation",
            entities={},
            chars=80,
            at=start + timedelta(seconds=2),
            results=5,
            latency_ms=40,
            recommended=3,
        ),
        Step(role="user", intent="room_inquiry", entities={}, chars=9, at=start + timedelta(seconds=30)),
    ]


@pytest.mark.django_db
def test_served_answers_equal_the_torch_answers_of_trained_champions():
    rooms, users = _catalogue_and_plays()
    assert _champions_train() == {"recommender": "1", "trends": "1", "session_quality": "1"}
    user = users[4]
    room_ids = [room.id for room in rooms]
    steps = message_features(steps=_session_steps(), dislike_times=[])
    expected = _torch_answers(user.id, room_ids, steps)

    scores, version = inference.recommender_scores(user_id=user.id, room_ids=room_ids)
    assert version == "recommender:v1"
    assert scores == pytest.approx(expected["scores"], abs=1e-4)
    from ml.selectors import monthly_demand

    months, series = monthly_demand(kind="genre")
    forecasts, version = inference.trends_forecast(
        series={k: v for k, v in series.items() if v.sum() > 0}, first_month=months[0].month, months=3
    )
    assert version == "trends:v1" and set(forecasts) == set(expected["trends"]) == {"추리", "감성"}
    for key, forecast in forecasts.items():
        np.testing.assert_allclose(forecast, expected["trends"][key], rtol=1e-5, atol=1e-3)
    probability, attention, version = inference.session_quality_predict(steps=steps)
    assert version == "session_quality:v1"
    assert probability == pytest.approx(expected["session"][0], abs=1e-6)
    assert attention == pytest.approx(expected["session"][1], abs=1e-6)


SERVE_EVERYTHING = """
import json, sys
from datetime import datetime, timedelta, UTC
import django
django.setup()
from ml import inference
from ml.datasets import Step
user_id, room_ids = {user_id}, {room_ids}
scores, recommender = inference.recommender_scores(user_id=user_id, room_ids=room_ids)
picks, personalized = inference.personalized_rooms(user_id=user_id, limit=3)
trends = inference.monthly_trends(kind="genre", months=3)
start = datetime(2026, 3, 1, 12, tzinfo=UTC)
steps = [Step(at=start + timedelta(seconds=row.pop("offset")), **row) for row in {steps}]
probability, attention, quality = inference.session_quality_assess(steps=steps, dislike_times=[])
print(json.dumps({{
    "scores": scores, "recommender": recommender, "personalized": personalized,
    "picks": [[room.id, score, reason] for room, score, reason in picks],
    "trends": trends, "quality": quality, "probability": probability, "attention": attention,
    "loaded": sorted(m for m in ("torch", "mlflow", "sqlalchemy") if m in sys.modules),
    "ml_modules": sorted(m for m in sys.modules if m.startswith(("ml.nets", "ml.training.recommender",
        "ml.training.trends", "ml.training.session_quality", "ml.tracking"))),
}}, ensure_ascii=False))
"""


@pytest.mark.django_db(transaction=True)
def test_a_web_process_serves_every_ml_answer_without_torch_mlflow_or_sqlalchemy():
    from django.db import connection

    from testing.live_server import server_env

    rooms, users = _catalogue_and_plays()
    _champions_train()
    user = users[4]
    room_ids = [room.id for room in rooms]
    steps = _session_steps()
    expected = _torch_answers(user.id, room_ids, message_features(steps=steps, dislike_times=[]))
    step_rows = [
        {**{k: v for k, v in step.__dict__.items() if k != "at"}, "offset": (step.at - steps[0].at).total_seconds()}
        for step in steps
    ]
    code = SERVE_EVERYTHING.format(user_id=user.id, room_ids=room_ids, steps=step_rows)
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=settings.BASE_DIR,
        env={**server_env(connection.settings_dict["NAME"]), "PYTHONPATH": str(settings.BASE_DIR)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answers = json.loads(result.stdout.strip().splitlines()[-1])

    assert answers["loaded"] == [] and answers["ml_modules"] == []
    assert answers["recommender"] == answers["personalized"] == "recommender:v1"
    assert {int(k): v for k, v in answers["scores"].items()} == pytest.approx(expected["scores"], abs=1e-4)
    played = {review.room_id for review in user.reviews.all()}
    unplayed = sorted((r for r in room_ids if r not in played), key=lambda r: (-expected["scores"][r], r))
    assert len(unplayed) >= 3 and [room_id for room_id, _, _ in answers["picks"]] == unplayed[:3]
    assert all(reason for _, _, reason in answers["picks"])
    assert answers["trends"]["model_version"] == "trends:v1"
    assert {series["key"] for series in answers["trends"]["series"]} == set(expected["trends"]) == {"추리", "감성"}
    for series in answers["trends"]["series"]:
        forecast = np.array([[p["low"], p["value"], p["high"]] for p in series["forecast"]])
        np.testing.assert_allclose(forecast, expected["trends"][series["key"]], atol=0.0101)
    assert answers["quality"] == "session_quality:v1"
    assert answers["probability"] == pytest.approx(expected["session"][0], abs=1e-6)
    assert answers["attention"] == pytest.approx(expected["session"][1], abs=1e-6)


@pytest.mark.django_db
def test_staff_see_which_version_serves_in_the_admin_and_cannot_edit_it(admin_client):
    row = ServedModel.objects.create(
        name="trends", version="4", run_id="abc123", payload=b"x", meta={"config": {}}, published_at=datetime.now(UTC)
    )
    listing = admin_client.get("/admin/ml/servedmodel/")
    assert listing.status_code == 200 and "abc123" in listing.content.decode()
    assert admin_client.get("/admin/ml/servedmodel/add/").status_code == 403
    detail = admin_client.get(f"/admin/ml/servedmodel/{row.id}/change/")
    assert detail.status_code == 200 and 'name="version"' not in detail.content.decode()  # read-only
    assert admin_client.post(f"/admin/ml/servedmodel/{row.id}/change/", {"version": "9"}).status_code == 403
    assert ServedModel.objects.get(id=row.id).version == "4"


@pytest.mark.django_db
def test_a_copy_that_cannot_be_read_leaves_the_previous_answer_in_place(caplog):
    _session_record(0.70, 0.60, seed=0)
    steps = np.ones((3, 3), dtype=np.float32)
    served = inference.session_quality_predict(steps=steps)
    assert served[2] == "session_quality:v1"
    ServedModel.objects.filter(name="session_quality").update(
        version="2", payload=b"not an npz", published_at=datetime.now(UTC)
    )
    assert inference.session_quality_predict(steps=steps) == served  # v1 keeps answering, no error
    assert "ml served copy could not be built" in caplog.text
    ServedModel.objects.filter(name="session_quality.baseline").update(payload=b"", meta={"logistic": "broken"})
    inference.champion_cache_clear()  # a process starting now: nothing was built before
    probability, attention, version = inference.session_quality_predict(steps=steps, base_rate=0.3)
    assert (probability, attention, version) == (0.3, None, inference.BASE_RATE_VERSION)
