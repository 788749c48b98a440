"""Serving: the `champion` of each model from its serving copy in PostgreSQL (ml.models.ServedModel,
published when training promotes a version), built once per process and rebuilt when another version is
published; the baseline answers when there is no champion. Every answer names its model.

The web process never imports torch, mlflow or SQLAlchemy: the copies hold numpy arrays and the forward
passes are numpy's (ml.serving), equal to the torch nets' within float32 rounding.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache

from ml import selectors
from ml.serving import ServedRanker, SessionNet, TrendNet, bundle_unpack, session_predict
from ml.training.blend import Catalogue, blend_total
from ml.training.forecasts import INPUT_MONTHS, seasonal_naive_forecast
from ml.training.sessions import LogisticRegression, session_summary
from rooms.models import Room

RECOMMENDER = "recommender"
TRENDS = "trends"
SESSION_QUALITY = "session_quality"
SESSION_BASELINE = f"{SESSION_QUALITY}.baseline"  # the newest run's logistic regression (ml.services)

POPULARITY_VERSION = "baseline:popularity"
SEASONAL_NAIVE_VERSION = "baseline:seasonal_naive"
LOGISTIC_VERSION_PREFIX = "baseline:logistic_regression"
BASE_RATE_VERSION = "baseline:base_rate"


@dataclass
class _Slot:
    checked_at: float = float("-inf")
    stamp: tuple[str, datetime] | None = None  # (version, published_at) of the copy the payload was built from
    version: str | None = None
    payload: Any = None


logger = logging.getLogger(__name__)
_slots: dict[str, _Slot] = {}
_slots_lock = threading.Lock()


def champion_payload(name: str, build: Callable[[str, dict[str, Any]], Any]) -> tuple[str | None, Any]:
    """(version, built payload) of the served copy under this name, or (None, None). Reads the table at most
    every ML_CHAMPION_CHECK_SECONDS; builds again (`build(version, bundle)`, None when serving cannot use the
    bundle) only when another copy was published."""
    with _slots_lock:
        slot = _slots.setdefault(name, _Slot())
        now = time.monotonic()
        if now - slot.checked_at < settings.ML_CHAMPION_CHECK_SECONDS:
            return slot.version, slot.payload
        stamp = selectors.served_model_stamp(name=name)
        if stamp != slot.stamp:
            copy = selectors.served_model_copy(name=name) if stamp is not None else None
            if copy is None:
                slot.stamp, slot.version, slot.payload = None, None, None
            else:
                version, published_at, payload, meta = copy
                try:
                    built = build(version, bundle_unpack(payload, meta))
                except Exception:  # a copy that cannot be read answers no request: keep what served before
                    logger.exception("ml served copy could not be built", extra={"model": name, "version": version})
                else:
                    slot.payload = built
                    slot.version = version if built is not None else None
                slot.stamp = (version, published_at)  # tried once per published copy, not once per request
        slot.checked_at = now
        return slot.version, slot.payload


def champion_cache_clear() -> None:
    """Forget built champions (tests; a process whose database was switched)."""
    with _slots_lock:
        _slots.clear()


# --- recommender ------------------------------------------------------------------------------


class RecommenderServing:
    """A published recommender (ml.serving.ServedRanker: the numpy BundleRanker) plus its item vectors for the
    current catalogue, computed once per catalogue snapshot: a request is one pass of the small sequential
    net over the user's history, one matrix-vector product over every room, and a few hundred neighbour
    look-ups."""

    def __init__(self, bundle: dict[str, Any], version: str) -> None:
        self.version = version
        self.ranker = ServedRanker(bundle)
        self.has_content = self.ranker.has_content
        # Replaced as one object, so a request running while another thread refreshes the catalogue
        # sees one consistent snapshot.
        self.catalogue = self.ranker.catalogue([], None)
        self.catalogue_key: Any = None

    def catalogue_set(self, features: dict[int, list[float]], key: Any = None) -> None:
        """Vectors for these rooms (room id -> content features); rooms the model never saw score from content."""
        ids = sorted(features)
        matrix = np.array([features[i] for i in ids], dtype=np.float32) if ids and self.has_content else None
        self.catalogue = self.ranker.catalogue(ids, matrix)
        self.catalogue_key = key

    def components(
        self, *, history: list[int], preferences: list[float] | None
    ) -> tuple[Catalogue, dict[str, np.ndarray], np.ndarray]:
        """(catalogue snapshot, each part's raw scores, blended scores), row r + 1 = snapshot.keys[r]."""
        catalogue = self.catalogue
        parts = self.ranker.components(catalogue, history, preferences)
        return catalogue, parts, blend_total(parts, self.ranker.blend, len(catalogue.keys) + 1)

    def scores(self, *, history: list[int], preferences: list[float] | None, room_ids: list[int]) -> dict[int, float]:
        """Scores of the given rooms (rooms missing from the catalogue snapshot are left out)."""
        catalogue, _, total = self.components(history=history, preferences=preferences)
        if len(room_ids) == len(catalogue.keys) and room_ids == catalogue.keys:
            return dict(zip(catalogue.keys, total[1:].tolist(), strict=True))  # the whole catalogue, in id order
        if not catalogue.keys:
            return {}
        # keys are sorted: a vectorised binary search finds each room's row (row r + 1 = keys[r]).
        keys = catalogue.key_array
        wanted = np.asarray(room_ids, dtype=np.int64)
        found = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        known = keys[found] == wanted
        return dict(zip(wanted[known].tolist(), total[found[known] + 1].tolist(), strict=True))


def _recommender_build(version: str, bundle: dict[str, Any]) -> RecommenderServing | None:
    if bundle.get("kind") != "sequential_blend":
        return None  # a version from before the sequential blend: the fallback answers until one is trained
    return RecommenderServing(bundle, version)


def _recommender_serving() -> RecommenderServing | None:
    _, serving = champion_payload(RECOMMENDER, _recommender_build)
    if serving is None:
        return None
    key = selectors.catalogue_key()
    if serving.catalogue_key != key:
        serving.catalogue_set(selectors.room_feature_rows(), key)
    return serving


def _user_inputs(user_id: int) -> tuple[list[int], list[float]]:
    from ml.features import user_features

    genres, regions = selectors.user_preferences(user_id=user_id)
    return selectors.user_history_room_ids(user_id=user_id), user_features(
        favorite_genres=genres, favorite_regions=regions
    )


def recommender_scores(*, user_id: int, room_ids: list[int]) -> tuple[dict[int, float], str]:
    """Personal scores (higher = better) for these rooms and the model version that produced them.

    With no champion, the popularity baseline answers (log of plays), whatever the user.
    """

    room_ids = [int(r) for r in room_ids]
    serving = _recommender_serving()
    if serving is not None:
        history, preferences = _user_inputs(user_id)
        scores = serving.scores(history=history, preferences=preferences, room_ids=room_ids)
        missing = [r for r in room_ids if r not in scores]
        if missing:  # rooms added since the catalogue snapshot: score them from their content
            features = selectors.room_feature_rows(room_ids=missing)
            if features:
                serving.catalogue_set({**selectors.room_feature_rows(), **features}, selectors.catalogue_key())
                scores.update(serving.scores(history=history, preferences=preferences, room_ids=missing))
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


def _trends_build(version: str, bundle: dict[str, Any]) -> TrendNet:
    return TrendNet(bundle["state_dict"], bundle["config"])


def trends_model_version() -> str:
    """What would answer a trends request now (part of the response cache key)."""
    version, model = champion_payload(TRENDS, _trends_build)
    return f"{TRENDS}:v{version}" if model is not None else SEASONAL_NAIVE_VERSION


def trends_forecast(
    *, series: dict[str, np.ndarray], first_month: int, months: int
) -> tuple[dict[str, np.ndarray], str]:
    """(low, median, high) forecasts (months, 3) per series and the model version."""
    version, model = champion_payload(TRENDS, _trends_build)
    n_months = len(next(iter(series.values()))) if series else 0
    if model is not None and n_months >= INPUT_MONTHS:
        return (
            {key: model.forecast(values, first_month=first_month, horizon=months) for key, values in series.items()},
            f"{TRENDS}:v{version}",
        )
    return {key: seasonal_naive_forecast(values, horizon=months) for key, values in series.items()}, (
        SEASONAL_NAIVE_VERSION
    )


# --- session quality --------------------------------------------------------------------------


def _session_build(version: str, bundle: dict[str, Any]) -> SessionNet:
    return SessionNet(bundle["state_dict"], bundle["config"])


def _baseline_build(version: str, bundle: dict[str, Any]) -> LogisticRegression | None:
    return LogisticRegression.from_dict(bundle["logistic"]) if "logistic" in bundle else None


def _session_baseline() -> tuple[str, LogisticRegression | None]:
    """The logistic regression trained with the newest run (published with it)."""
    version, baseline = champion_payload(SESSION_BASELINE, _baseline_build)
    return (f"{LOGISTIC_VERSION_PREFIX}:v{version}", baseline) if baseline is not None else (BASE_RATE_VERSION, None)


def session_quality_predict(*, steps: np.ndarray, base_rate: float = 0.5) -> tuple[float, list[float] | None, str]:
    """(probability the session ends well, attention per message or None, model version)."""
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
    """The user's top active rooms they have not played (a played room is never recommended), with score
    and a short Korean reason from the model's strongest signals for this user."""
    played = selectors.user_played_room_ids(user_id=user_id)
    candidates = [
        r for r in Room.objects.filter(is_active=True).order_by("id").values_list("id", flat=True) if r not in played
    ]
    scores, version = recommender_scores(user_id=user_id, room_ids=candidates)
    top = sorted(scores, key=lambda r: (-scores[r], r))[:limit]
    rooms = Room.objects.select_related("store").in_bulk(top)
    reasons = room_reasons(user_id=user_id, rooms=[rooms[r] for r in top])
    return [(rooms[r], scores[r], reasons[r]) for r in top], version


def room_reasons(*, user_id: int, rooms: list[Room], fallback: bool = True) -> dict[int, str]:
    """{room id: why it suits this user}, from the recommender's signals for them: the genres and regions of
    their plays, what users who played the same rooms rated it, the room of their history whose
    neighbours it is, the run of their recent plays. Chat and /me/ say the same thing for the same room."""
    if not rooms:
        return {}
    serving = _recommender_serving()
    room_ids = [room.id for room in rooms]
    neighbour_of: dict[int, int] = {}
    sequence_led: set[int] = set()
    if serving is None:
        history = selectors.user_history_room_ids(user_id=user_id)
    else:
        history, preferences = _user_inputs(user_id)
        catalogue, parts, _ = serving.components(history=history, preferences=preferences)
        neighbour_of = _neighbour_evidence(serving, catalogue, history, room_ids)
        sequential = parts["sequential"]
        # Rooms the sequential net puts far above the catalogue's average: "next in the run of your plays".
        cut = float(np.mean(sequential[1:]) + 1.5 * np.std(sequential[1:])) if len(sequential) > 1 else np.inf
        sequence_led = {r for r in room_ids if r in catalogue.row and sequential[catalogue.row[r]] >= cut}
    signals = _taste_signals(user_id=user_id, history=history)
    similar = selectors.similar_users_ratings(user_id=user_id, history_room_ids=history, room_ids=room_ids)
    names = dict(Room.objects.filter(id__in=set(neighbour_of.values())).values_list("id", "name"))
    return {
        room.id: pick_reason(
            room=room,
            signals=signals,
            similar=similar.get(room.id),
            neighbour_name=names.get(neighbour_of.get(room.id)),
            sequence_led=room.id in sequence_led,
            personal=serving is not None,
            fallback=fallback,
        )
        for room in rooms
    }


@dataclass(frozen=True)
class TasteSignals:
    """What the user's own plays and declared preferences say: genre and region counts over the history."""

    genre_counts: dict[str, int]
    region_counts: dict[str, int]
    favourite_genres: set[str]
    favourite_regions: set[str]


def _taste_signals(*, user_id: int, history: list[int]) -> TasteSignals:
    from collections import Counter

    genres, regions = selectors.user_preferences(user_id=user_id)
    rows = Room.objects.filter(id__in=history).values_list("genres", "region")
    return TasteSignals(
        genre_counts=dict(Counter(g for room_genres, _ in rows for g in room_genres)),
        region_counts=dict(Counter(region for _, region in rows if region)),
        favourite_genres=set(genres),
        favourite_regions=set(regions),
    )


def _neighbour_evidence(serving: RecommenderServing, catalogue, history: list[int], top: list[int]) -> dict[int, int]:
    """{picked room: the room of the user's history whose item-kNN neighbours give it the most weight}."""
    knn = serving.ranker.knn
    inverse = {int(i): key for key, i in zip(catalogue.keys, catalogue.bundle_index[1:], strict=True) if i}
    wanted = {int(catalogue.bundle_index[catalogue.row[r]]): r for r in top if r in catalogue.row}
    wanted.pop(0, None)
    best: dict[int, tuple[float, int]] = {}
    for room_id in history:
        h = int(catalogue.bundle_index[catalogue.row[room_id]]) if room_id in catalogue.row else 0
        if not h:
            continue
        for neighbour, weight in zip(knn.index[h].tolist(), knn.value[h].tolist(), strict=True):
            if neighbour in wanted and weight > 0 and weight > best.get(wanted[neighbour], (0.0, 0))[0]:
                best[wanted[neighbour]] = (weight, inverse.get(h, room_id))
    return {room: source for room, (_, source) in best.items()}


def pick_reason(
    *,
    room: Room,
    signals: TasteSignals,
    similar: tuple[int, float] | None,
    neighbour_name: str | None,
    sequence_led: bool,
    personal: bool,
    fallback: bool = True,
) -> str:
    """One Korean sentence: what the user's own plays say (genre, region), then what others say
    (similar users' ratings, rooms played together, the run of recent plays). Popularity only when no
    personal model answers and nothing personal is known. With nothing specific to say: a generic line,
    or "" when not `fallback` (chat then says nothing rather than something empty)."""
    frequent = sorted(
        (g for g in room.genres if signals.genre_counts.get(g, 0) >= 2),
        key=lambda g: -signals.genre_counts[g],
    )
    played_once = [g for g in room.genres if signals.genre_counts.get(g, 0) == 1]
    liked = [g for g in room.genres if g in signals.favourite_genres]
    # (clause that goes on, sentence that stands alone)
    if frequent:
        own = (f"{frequent[0]} 테마를 자주 하셨고", f"자주 하신 {frequent[0]} 테마예요.")
    elif liked:
        own = (f"좋아하신다고 한 {liked[0]} 장르이고", f"좋아하신다고 한 {liked[0]} 장르의 테마예요.")
    elif played_once:
        own = (f"{played_once[0]} 테마를 해 보셨고", f"해 보신 {played_once[0]} 장르의 테마예요.")
    elif signals.region_counts.get(room.region, 0) >= 2:
        own = (f"{room.region}에서 자주 하셨고", f"자주 하신 {room.region} 지역의 테마예요.")
    elif room.region in signals.favourite_regions:
        own = (f"자주 가시는 {room.region} 지역이고", f"자주 가시는 {room.region} 지역의 테마예요.")
    else:
        own = None
    if similar and similar[0] >= 2 and similar[1] >= 4.0:
        others = f"비슷한 분들이 높게 평가한(평균 {similar[1]:.1f}점, {similar[0]}명) 테마예요."
    elif neighbour_name:
        others = f"‘{neighbour_name}’ 테마를 하신 분들이 많이 한 테마예요."
    elif similar:
        others = f"비슷한 취향의 분들이 해 본 테마예요({similar[0]}명)."
    elif sequence_led:
        others = "최근 하신 테마들에 이어 하기 좋은 테마예요."
    else:
        others = ""
    if own and others:
        return f"{own[0]}, {others}"
    if own:
        return own[1]
    if others:
        return others
    if not fallback:
        return ""
    return "취향에 맞을 만한 테마예요." if personal else f"후기 {room.review_count}개의 인기 테마예요."


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
