"""Reads for training and serving. Real activity and demo activity are read the same way."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from typing import Any

import numpy as np
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Count, Max
from django.utils import timezone

from ml.features import room_features, user_features
from rooms.models import Review, Room

POSITIVE_FEEDBACK = ("clicked", "liked")


def _chat_model(name: str):
    """chat's models, or None while that app has not defined them (it is built in parallel)."""
    try:
        return apps.get_model("chat", name)
    except LookupError:
        return None


def catalogue_key() -> tuple:
    """Changes whenever a room is added, removed or edited (cheap: one aggregate query)."""
    summary = Room.objects.aggregate(n=Count("id"), changed=Max("updated_at"))
    return summary["n"], summary["changed"]


def room_feature_rows(*, room_ids: list[int] | None = None) -> dict[int, list[float]]:
    rooms = Room.objects.all() if room_ids is None else Room.objects.filter(id__in=room_ids)
    rows = rooms.values_list("id", "genres", "region", "difficulty", "fear", "activity", "price", "embedding")
    return {
        room_id: room_features(
            genres=genres,
            region=region,
            difficulty=difficulty,
            fear=fear,
            activity=activity,
            price=price,
            embedding=None if embedding is None else list(embedding),
        )
        for room_id, genres, region, difficulty, fear, activity, price, embedding in rows.iterator(chunk_size=2000)
    }


def user_preferences(*, user_id: int) -> tuple[list[str], list[str]]:
    row = get_user_model().objects.filter(id=user_id).values_list("favorite_genres", "favorite_regions").first()
    return (list(row[0]), list(row[1])) if row else ([], [])


def user_feature_rows() -> dict[int, list[float]]:
    return {
        user_id: user_features(favorite_genres=genres, favorite_regions=regions)
        for user_id, genres, regions in get_user_model()
        .objects.values_list("id", "favorite_genres", "favorite_regions")
        .iterator(chunk_size=2000)
    }


def _review_time(played_on: date | None, created_at: datetime) -> float:
    if played_on is None:
        return created_at.timestamp()
    return datetime.combine(played_on, time(12), tzinfo=timezone.get_current_timezone()).timestamp()


def interactions_all() -> list[tuple[int, int, float]]:
    """(user id, room id, unix time) of every play (review) and positive recommendation feedback."""
    rows = [
        (user_id, room_id, _review_time(played_on, created_at))
        for user_id, room_id, played_on, created_at in Review.objects.values_list(
            "user_id", "room_id", "played_on", "created_at"
        ).iterator(chunk_size=5000)
    ]
    feedback = _chat_model("RecommendationFeedback")
    if feedback is not None:
        rows += [
            (user_id, room_id, created_at.timestamp())
            for user_id, room_id, created_at in feedback.objects.filter(kind__in=POSITIVE_FEEDBACK)
            .values_list("user_id", "room_id", "created_at")
            .iterator(chunk_size=5000)
        ]
    return rows


def user_history_room_ids(*, user_id: int, limit: int = 20) -> list[int]:
    """The user's most recent interactions, oldest first."""
    events = [
        (_review_time(played_on, created_at), room_id)
        for room_id, played_on, created_at in Review.objects.filter(user_id=user_id)
        .order_by("-created_at")
        .values_list("room_id", "played_on", "created_at")[:limit]
    ]
    feedback = _chat_model("RecommendationFeedback")
    if feedback is not None:
        events += [
            (created_at.timestamp(), room_id)
            for room_id, created_at in feedback.objects.filter(user_id=user_id, kind__in=POSITIVE_FEEDBACK)
            .order_by("-created_at")
            .values_list("room_id", "created_at")[:limit]
        ]
    seen: dict[int, float] = {}
    for moment, room_id in sorted(events):
        seen.setdefault(room_id, moment)
    return [room_id for room_id, _ in sorted(seen.items(), key=lambda item: item[1])][-limit:]


def user_played_room_ids(*, user_id: int) -> set[int]:
    return set(Review.objects.filter(user_id=user_id).values_list("room_id", flat=True))


def room_popularity(*, room_ids: list[int] | None = None) -> dict[int, int]:
    rooms = Room.objects.all() if room_ids is None else Room.objects.filter(id__in=room_ids)
    return dict(rooms.values_list("id", "review_count"))


# --- monthly demand ---------------------------------------------------------------------------


def _month_index(moment: date, first: date) -> int:
    return (moment.year - first.year) * 12 + moment.month - first.month


def monthly_demand(*, kind: str, until: date | None = None) -> tuple[list[date], dict[str, np.ndarray]]:
    """Monthly demand per genre or region: searches + rooms recommended + plays, up to the last
    complete month before `until` (default today). Months without activity are zeros."""
    from analytics.models import Event

    if kind not in ("genre", "region"):
        raise ValueError(kind)
    today = until or timezone.localdate()
    end = date(today.year, today.month, 1)  # exclusive: the current month is incomplete
    rooms = {
        room_id: (genres, region) for room_id, genres, region in Room.objects.values_list("id", "genres", "region")
    }
    counts: dict[tuple[str, date], int] = defaultdict(int)

    def add(keys, moment: datetime | date) -> None:
        month = date(moment.year, moment.month, 1)
        if month < end:
            for key in keys:
                counts[(key, month)] += 1

    def room_keys(room_id: Any) -> list[str]:
        genres, region = rooms.get(room_id, ((), None))
        return list(genres) if kind == "genre" else ([region] if region else [])

    events = Event.objects.filter(type__in=("search.performed", "recommendation.shown")).values_list(
        "type", "payload", "occurred_at"
    )
    for type_, payload, occurred_at in events.iterator(chunk_size=5000):
        local = timezone.localtime(occurred_at)
        if type_ == "search.performed":
            keys = (payload.get("genres") or []) if kind == "genre" else [payload.get("region")]
            add([k for k in keys if k], local)
        else:
            for room_id in payload.get("room_ids") or []:
                add(room_keys(room_id), local)
    for room_id, played_on, created_at in Review.objects.values_list("room_id", "played_on", "created_at"):
        add(room_keys(room_id), played_on or timezone.localtime(created_at))
    if not counts:
        return [], {}
    first = min(month for _, month in counts)
    n_months = _month_index(end, first)
    months = [
        date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1) for i in range(n_months)
    ]
    series: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(n_months))
    for (key, month), count in counts.items():
        series[key][_month_index(month, first)] = count
    return months, dict(series)


# --- API reads ----------------------------------------------------------------------------------


def personalized_rooms(*, user_id: int, limit: int) -> tuple[list[tuple[Room, float, str]], str]:
    """The user's top active rooms they have not played, with score and a short Korean reason."""
    from ml.inference import recommender_scores

    played = user_played_room_ids(user_id=user_id)
    candidates = [
        r for r in Room.objects.filter(is_active=True).order_by("id").values_list("id", flat=True) if r not in played
    ]
    scores, version = recommender_scores(user_id=user_id, room_ids=candidates)
    top = sorted(scores, key=lambda r: (-scores[r], r))[:limit]
    rooms = Room.objects.select_related("store").in_bulk(top)
    genres, regions = user_preferences(user_id=user_id)
    history = Room.objects.filter(id__in=user_history_room_ids(user_id=user_id)).values_list("genres", "region")
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
    from django.conf import settings
    from django.core.cache import cache

    from ml.inference import trends_forecast, trends_model_version

    # The version is in the key: a new champion answers at once, not after the cache expires.
    key = f"ml:trends:{kind}:{months}:{trends_model_version()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    month_list, series = monthly_demand(kind=kind)
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


def session_base_rate() -> float:
    """Share of chat sessions with a click or like: the answer when no model was ever trained."""
    session_model, feedback = _chat_model("ChatSession"), _chat_model("RecommendationFeedback")
    total = session_model.objects.count() if session_model else 0
    if not total:
        return 0.5
    positive = feedback.objects.filter(kind__in=POSITIVE_FEEDBACK).values("message__session_id").distinct().count()
    return positive / total


def session_quality(*, user_id: int, session_id: int) -> dict | None:
    """Score, model version and per-message attention of the user's session; None if not theirs."""
    from ml.datasets import sessions_load
    from ml.inference import session_quality_predict

    session_model = _chat_model("ChatSession")
    if session_model is None or not session_model.objects.filter(id=session_id, user_id=user_id).exists():
        return None
    loaded = sessions_load(session_ids=[session_id])
    messages = list(
        _chat_model("ChatMessage")
        .objects.filter(session_id=session_id)
        .order_by("created_at", "id")
        .values_list("id", "role")
    )
    steps = loaded[0][1] if loaded else np.zeros((0, 1), dtype=np.float32)
    score, attention, version = session_quality_predict(steps=steps, base_rate=session_base_rate())
    if attention is not None:  # the net sees the last messages only; earlier ones get no weight
        attention = [0.0] * (len(messages) - len(attention)) + attention
    return {
        "session_id": session_id,
        "user_id": user_id,
        "score": round(score, 4),
        "model_version": version,
        "messages": [
            {"message_id": mid, "role": role, "attention": None if attention is None else round(attention[i], 4)}
            for i, (mid, role) in enumerate(messages)
        ],
    }
