"""Serving: the registered `champion` of each model, loaded once per process and reloaded when the
alias moves; the baseline answers when there is no champion. Every answer names its model.

torch and mlflow are imported on first use only, never when Django starts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache

from ml import selectors
from rooms.models import Room

RECOMMENDER = "recommender"
TRENDS = "trends"
SESSION_QUALITY = "session_quality"

POPULARITY_VERSION = "baseline:popularity"
SEASONAL_NAIVE_VERSION = "baseline:seasonal_naive"
LOGISTIC_VERSION_PREFIX = "baseline:logistic_regression"
BASE_RATE_VERSION = "baseline:base_rate"


@dataclass
class _Slot:
    checked_at: float = float("-inf")
    version: str | None = None
    payload: Any = None


_slots: dict[str, _Slot] = {}
_slots_lock = threading.Lock()


def champion_payload(model_name: str, build: Callable[[str], Any]) -> tuple[str | None, Any]:
    """(version, built payload) of the champion, or (None, None). Asks the registry at most every
    ML_CHAMPION_CHECK_SECONDS; builds again only when the alias points to another version."""
    from ml.tracking import champion_version

    with _slots_lock:
        slot = _slots.setdefault(model_name, _Slot())
        now = time.monotonic()
        if now - slot.checked_at < settings.ML_CHAMPION_CHECK_SECONDS:
            return slot.version, slot.payload
        version = champion_version(model_name=model_name)
        if version != slot.version:
            slot.payload = build(version) if version is not None else None
            slot.version = version if slot.payload is not None else None
        slot.checked_at = now
        return slot.version, slot.payload


def champion_cache_clear() -> None:
    """Forget loaded champions (tests; a process that switched tracking stores)."""
    with _slots_lock:
        _slots.clear()
    with _baseline_lock:  # versions are per tracking store: "v1" of another store is another model
        _baseline_cache.clear()


# --- recommender ------------------------------------------------------------------------------


class RecommenderServing:
    """A trained recommender plus its vectors for the current catalogue.

    Item vectors (id embedding + content tower) are computed once per catalogue snapshot, so
    scoring a user against every room is one matrix-vector product.
    """

    def __init__(self, bundle: dict[str, Any], version: str) -> None:
        import torch

        from ml.nets.recommender import HybridRecommender
        from ml.training.runtime import torch_setup

        torch_setup()
        self.version = version
        self.model = HybridRecommender(**bundle["config"])
        self.model.load_state_dict(bundle["state_dict"])
        self.model.eval()
        self.item_index: dict[int, int] = {int(k): i + 1 for i, k in enumerate(bundle["item_keys"])}
        self.user_index: dict[int, int] = {int(k): i + 1 for i, k in enumerate(bundle["user_keys"])}
        self._torch = torch
        # numpy copies of the user-side weights: a request needs no torch call at all.
        self._user_weights = self.model.user_id.weight.detach().numpy().copy()
        self._history_weights = self.model.history_proj.weight.detach().numpy().copy()
        self._pref_weights = (
            None if self.model.user_pref is None else self.model.user_pref.weight.detach().numpy().copy()
        )
        # (room ids in id order as a list and an array, room id -> row, vectors, biases), replaced as
        # one object so a request running while another thread refreshes the catalogue sees one
        # consistent snapshot.
        self.snapshot: tuple[list[int], np.ndarray, dict[int, int], np.ndarray, np.ndarray] = (
            [],
            np.zeros(0, dtype=np.int64),
            {},
            np.zeros((0, bundle["config"]["dim"]), dtype=np.float32),
            np.zeros(0, dtype=np.float32),
        )
        self.catalogue_key: Any = None

    def catalogue_set(self, features: dict[int, list[float]], key: Any = None) -> None:
        """Vectors for these rooms (room id -> content features); unknown rooms use id row 0."""
        torch = self._torch
        ids = np.array(sorted(features), dtype=np.int64)
        with torch.no_grad():
            feats = torch.tensor(np.array([features[i] for i in ids], dtype=np.float32)) if len(ids) else None
            index = torch.tensor([self.item_index.get(int(i), 0) for i in ids], dtype=torch.long)
            vectors = self.model.item_id(index)
            bias = self.model.item_bias(index).squeeze(-1)
            if self.model.item_content is not None and feats is not None:
                vectors = vectors + self.model.item_content(feats)
                bias = bias + self.model.content_bias(feats).squeeze(-1)
        id_list = ids.tolist()
        self.snapshot = (id_list, ids, {r: n for n, r in enumerate(id_list)}, vectors.numpy(), bias.numpy())
        self.catalogue_key = key

    def user_vector(self, *, user_id: int, history: list[int], preferences: list[float] | None) -> np.ndarray:
        _, _, room_rows, vectors, _ = self.snapshot
        rows = [room_rows[r] for r in history[-20:] if r in room_rows]
        vector = self._user_weights[self.user_index.get(user_id, 0)].copy()
        if rows:
            vector += vectors[rows].mean(0) @ self._history_weights.T
        if self._pref_weights is not None and preferences is not None:
            vector += self._pref_weights @ np.asarray(preferences, dtype=np.float32)
        return vector

    def scores(self, user_vector: np.ndarray, room_ids: list[int]) -> dict[int, float]:
        """Scores of the given rooms (rooms missing from the catalogue snapshot are left out).

        One matrix-vector product over the whole catalogue, then a lookup: cheaper than
        gathering the rows first when most rooms are asked for."""
        id_list, id_array, _, vectors, biases = self.snapshot
        everything = vectors @ user_vector + biases
        if len(room_ids) == len(id_list) and room_ids == id_list:
            return dict(zip(id_list, everything.tolist(), strict=True))  # the whole catalogue, in id order
        if not id_list:
            return {}
        # ids are sorted: a vectorised binary search finds each room's row.
        wanted = np.asarray(room_ids, dtype=np.int64)
        rows = np.minimum(np.searchsorted(id_array, wanted), len(id_array) - 1)
        known = id_array[rows] == wanted
        if known.all():
            return dict(zip(room_ids, everything[rows].tolist(), strict=True))
        return dict(zip(wanted[known].tolist(), everything[rows[known]].tolist(), strict=True))


def _recommender_build(version: str) -> RecommenderServing | None:
    from ml.tracking import bundle_load

    bundle = bundle_load(model_name=RECOMMENDER, version=version)
    return None if bundle is None else RecommenderServing(bundle, version)


def _recommender_serving() -> RecommenderServing | None:

    _, serving = champion_payload(RECOMMENDER, _recommender_build)
    if serving is None:
        return None
    key = selectors.catalogue_key()
    if serving.catalogue_key != key:
        serving.catalogue_set(selectors.room_feature_rows(), key)
    return serving


def recommender_scores(*, user_id: int, room_ids: list[int]) -> tuple[dict[int, float], str]:
    """Personal scores (higher = better) for these rooms and the model version that produced them.

    With no champion, the popularity baseline answers (log of plays), whatever the user.
    """

    room_ids = [int(r) for r in room_ids]
    serving = _recommender_serving()
    if serving is not None:
        genres, regions = selectors.user_preferences(user_id=user_id)
        from ml.features import user_features

        vector = serving.user_vector(
            user_id=user_id,
            history=selectors.user_history_room_ids(user_id=user_id),
            preferences=user_features(favorite_genres=genres, favorite_regions=regions),
        )
        scores = serving.scores(vector, room_ids)
        missing = [r for r in room_ids if r not in scores]
        if missing:  # rooms added since the catalogue snapshot: score them from their content
            features = selectors.room_feature_rows(room_ids=missing)
            if features:
                serving.catalogue_set({**selectors.room_feature_rows(), **features}, selectors.catalogue_key())
                scores.update(serving.scores(vector, missing))
        return scores, f"{RECOMMENDER}:v{serving.version}"
    popularity = selectors.room_popularity(room_ids=room_ids)
    return {r: float(np.log1p(popularity.get(r, 0))) for r in room_ids}, POPULARITY_VERSION


def recommender_rerank(
    *, user_id: int | None, room_ids: list[int], weight: float | None = None
) -> tuple[list[int], str | None]:
    """Reorders search results for a signed-in user: (1 - w) x search position + w x personal
    score, both scaled to 0-1 (w = ML_RECOMMENDER_BLEND_WEIGHT). Without a champion the order is
    kept: popularity is no personal signal. Returns the order and the model that changed it."""
    weight = settings.ML_RECOMMENDER_BLEND_WEIGHT if weight is None else weight
    if not user_id or len(room_ids) < 2 or weight <= 0:
        return list(room_ids), None
    scores, version = recommender_scores(user_id=user_id, room_ids=list(room_ids))
    if version.startswith("baseline") or not scores:
        return list(room_ids), None
    values = np.array([scores.get(r, min(scores.values())) for r in room_ids])
    spread = values.max() - values.min()
    personal = (values - values.min()) / spread if spread > 0 else np.zeros(len(values))
    search = 1.0 - np.arange(len(room_ids)) / (len(room_ids) - 1)
    blended = (1 - weight) * search + weight * personal
    order = sorted(range(len(room_ids)), key=lambda i: (-blended[i], i))
    return [room_ids[i] for i in order], version


# --- trends -----------------------------------------------------------------------------------


def _trends_build(version: str):
    from ml.nets.trends import TrendLSTM
    from ml.tracking import bundle_load
    from ml.training.runtime import torch_setup

    bundle = bundle_load(model_name=TRENDS, version=version)
    if bundle is None:
        return None
    torch_setup()
    model = TrendLSTM(**bundle["config"])
    model.load_state_dict(bundle["state_dict"])
    model.eval()
    return model


def trends_model_version() -> str:
    """What would answer a trends request now (part of the response cache key)."""
    version, model = champion_payload(TRENDS, _trends_build)
    return f"{TRENDS}:v{version}" if model is not None else SEASONAL_NAIVE_VERSION


def trends_forecast(
    *, series: dict[str, np.ndarray], first_month: int, months: int
) -> tuple[dict[str, np.ndarray], str]:
    """(low, median, high) forecasts (months, 3) per series and the model version."""
    from ml.training.trends import INPUT_MONTHS, seasonal_naive_forecast, trend_forecast_from

    version, model = champion_payload(TRENDS, _trends_build)
    n_months = len(next(iter(series.values()))) if series else 0
    if model is not None and n_months >= INPUT_MONTHS:
        return (
            {
                key: trend_forecast_from(model, values, first_month=first_month, horizon=months)
                for key, values in series.items()
            },
            f"{TRENDS}:v{version}",
        )
    return {key: seasonal_naive_forecast(values, horizon=months) for key, values in series.items()}, (
        SEASONAL_NAIVE_VERSION
    )


# --- session quality --------------------------------------------------------------------------


def _session_build(version: str):
    from ml.nets.session_quality import SessionQualityNet
    from ml.tracking import bundle_load
    from ml.training.runtime import torch_setup

    bundle = bundle_load(model_name=SESSION_QUALITY, version=version)
    if bundle is None:
        return None
    torch_setup()
    model = SessionQualityNet(**bundle["config"])
    model.load_state_dict(bundle["state_dict"])
    model.eval()
    return model


_baseline_lock = threading.Lock()
_baseline_cache: dict[str, Any] = {}


def _session_baseline() -> tuple[str, Any]:
    """The logistic regression trained with the newest run (alias `latest`), cached per version."""
    from ml.tracking import BASELINE_FILE, LATEST_ALIAS, alias_version, bundle_load
    from ml.training.session_quality import LogisticRegression

    version = alias_version(model_name=SESSION_QUALITY, alias=LATEST_ALIAS)
    if version is None:
        return BASE_RATE_VERSION, None
    with _baseline_lock:
        if version not in _baseline_cache:
            bundle = bundle_load(model_name=SESSION_QUALITY, version=version, file_name=BASELINE_FILE)
            _baseline_cache[version] = None if bundle is None else LogisticRegression.from_dict(bundle["logistic"])
        baseline = _baseline_cache[version]
    return (f"{LOGISTIC_VERSION_PREFIX}:v{version}", baseline) if baseline is not None else (BASE_RATE_VERSION, None)


def session_quality_predict(*, steps: np.ndarray, base_rate: float = 0.5) -> tuple[float, list[float] | None, str]:
    """(probability the session ends well, attention per message or None, model version)."""
    from ml.training.session_quality import session_predict, session_summary

    version, model = champion_payload(SESSION_QUALITY, _session_build)
    if model is not None and len(steps):
        probabilities, attention = session_predict(model, [steps])
        return float(probabilities[0]), attention[0].tolist(), f"{SESSION_QUALITY}:v{version}"
    baseline_version, baseline = _session_baseline()
    if baseline is not None and len(steps):
        return float(baseline.predict(session_summary([steps]))[0]), None, baseline_version
    return float(base_rate), None, BASE_RATE_VERSION


def session_quality_assess(*, steps: list, dislike_times: list) -> tuple[float, list[float] | None, str]:
    """(probability, attention per message or None, model version) of a session given as `ml.datasets.Step`s
    (chat builds them from a live session's rows), with the base rate of the event store as the last resort."""
    from ml.datasets import message_features

    features = message_features(steps=steps, dislike_times=dislike_times)
    return session_quality_predict(steps=features, base_rate=selectors.session_base_rate())


# --- answers: reads and models together (the APIs, /me/ and the insights call these) ---------------


def personalized_rooms(*, user_id: int, limit: int) -> tuple[list[tuple[Room, float, str]], str]:
    """The user's top active rooms they have not played, with score and a short Korean reason."""
    played = selectors.user_played_room_ids(user_id=user_id)
    candidates = [
        r for r in Room.objects.filter(is_active=True).order_by("id").values_list("id", flat=True) if r not in played
    ]
    scores, version = recommender_scores(user_id=user_id, room_ids=candidates)
    top = sorted(scores, key=lambda r: (-scores[r], r))[:limit]
    rooms = Room.objects.select_related("store").in_bulk(top)
    genres, regions = selectors.user_preferences(user_id=user_id)
    history = Room.objects.filter(id__in=selectors.user_history_room_ids(user_id=user_id)).values_list(
        "genres", "region"
    )
    liked_genres = set(genres) | {g for room_genres, _ in history for g in room_genres}
    liked_regions = set(regions) | {region for _, region in history}
    return [(rooms[r], scores[r], _reason(rooms[r], liked_genres, liked_regions, version)) for r in top], version


def _reason(room: Room, genres: set[str], regions: set[str], version: str) -> str:
    parts = []
    shared = [g for g in room.genres if g in genres]
    if shared:
        parts.append(f"즐겨 찾는 {'·'.join(shared)} 장르")
    if room.region in regions:
        parts.append(f"자주 가는 {room.region} 지역")
    if parts:
        return ", ".join(parts) + "의 테마예요."
    if version.startswith("baseline"):
        return f"후기 {room.review_count}개의 인기 테마예요."
    return "비슷한 취향의 사용자들이 좋아한 테마예요."


def monthly_trends(*, kind: str, months: int) -> dict:
    """History and forecast per series (genre or region), cached for ML_TRENDS_CACHE_SECONDS."""
    # The version is in the key: a new champion answers at once, not after the cache expires.
    key = f"ml:trends:{kind}:{months}:{trends_model_version()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    month_list, series = selectors.monthly_demand(kind=kind)
    series = {k: v for k, v in series.items() if v.sum() > 0}
    forecasts, version = trends_forecast(
        series=series, first_month=month_list[0].month if month_list else 1, months=months
    )
    future = [_next_month(month_list[-1], i + 1) for i in range(months)] if month_list else []
    result = {
        "kind": kind,
        "model_version": version,
        "series": [
            {
                "key": name,
                "history": [
                    {"month": m.strftime("%Y-%m"), "value": float(v)} for m, v in zip(month_list, values, strict=True)
                ],
                "forecast": [
                    {
                        "month": m.strftime("%Y-%m"),
                        "low": round(float(lo), 2),
                        "value": round(float(mid), 2),
                        "high": round(float(hi), 2),
                    }
                    for m, (lo, mid, hi) in zip(future, forecasts[name], strict=True)
                ],
            }
            for name, values in sorted(series.items())
        ],
    }
    cache.set(key, result, settings.ML_TRENDS_CACHE_SECONDS)
    return result


def _next_month(month: date, offset: int) -> date:
    index = month.year * 12 + month.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)
