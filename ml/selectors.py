"""Reads for training and serving. Real activity and demo activity are read the same way.

Behaviour comes from the analytics event store (and reviews, from the catalogue), never from chat's tables:
chat records what the models need in its events.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, Max
from django.utils import timezone

from analytics.models import Event
from ml.features import room_features, user_features
from ml.models import ServedModel
from plays.models import Play
from plays.selectors import played_room_ids
from rooms.models import Review, Room

POSITIVE_FEEDBACK = ("clicked", "liked")


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


def _play_time(played_on: date) -> float:
    return datetime.combine(played_on, time(12), tzinfo=timezone.get_current_timezone()).timestamp()


def interactions_all() -> list[tuple[int, int, float]]:
    """(user id, room id, unix time) of every play (the play log, and reviews) and positive recommendation
    feedback. A logged play is the strongest signal there is (a room played was chosen, paid for and spent an
    evening on); a play logged without a review counts as much as one reviewed."""
    rows = [
        (user_id, room_id, _play_time(played_on))
        for user_id, room_id, played_on in Play.objects.values_list("user_id", "room_id", "played_on").iterator(
            chunk_size=5000
        )
    ]
    rows += [
        (user_id, room_id, _review_time(played_on, created_at))
        for user_id, room_id, played_on, created_at in Review.objects.values_list(
            "user_id", "room_id", "played_on", "created_at"
        ).iterator(chunk_size=5000)
    ]
    rows += [
        (user_id, payload["room_id"], occurred_at.timestamp())
        for user_id, payload, occurred_at in _positive_feedback()
        .values_list("user_id", "payload", "occurred_at")
        .iterator(chunk_size=5000)
        if isinstance(payload.get("room_id"), int)
    ]
    return rows


def _positive_feedback():
    """`recommendation.clicked` events of a click or a like, by a known user."""
    return Event.objects.filter(
        type="recommendation.clicked", user_id__isnull=False, payload__feedback__in=POSITIVE_FEEDBACK
    )


def user_history_room_ids(*, user_id: int, limit: int = 20) -> list[int]:
    """The user's most recent interactions (plays, reviews, clicks and likes), oldest first."""
    events = [
        (_play_time(played_on), room_id)
        for room_id, played_on in Play.objects.filter(user_id=user_id)
        .order_by("-played_on", "-id")
        .values_list("room_id", "played_on")[:limit]
    ]
    events += [
        (_review_time(played_on, created_at), room_id)
        for room_id, played_on, created_at in Review.objects.filter(user_id=user_id)
        .order_by("-created_at")
        .values_list("room_id", "played_on", "created_at")[:limit]
    ]
    events += [
        (occurred_at.timestamp(), payload["room_id"])
        for payload, occurred_at in _positive_feedback()
        .filter(user_id=user_id)
        .order_by("-occurred_at")
        .values_list("payload", "occurred_at")[:limit]
        if isinstance(payload.get("room_id"), int)
    ]
    seen: dict[int, float] = {}
    for moment, room_id in sorted(events):
        seen.setdefault(room_id, moment)
    return [room_id for room_id, _ in sorted(seen.items(), key=lambda item: item[1])][-limit:]


def user_played_room_ids(*, user_id: int) -> set[int]:
    """Rooms the user played (logged or reviewed): never recommended to them again."""
    return played_room_ids(user_ids=[user_id])


def similar_users_ratings(
    *, user_id: int, history_room_ids: list[int], room_ids: list[int]
) -> dict[int, tuple[int, float]]:
    """{room id: (reviews, mean rating)} of these rooms by the users who also played a room of this user's
    history (the "similar users" a reason may cite)."""
    if not history_room_ids or not room_ids:
        return {}
    similar = Review.objects.filter(room_id__in=history_room_ids).exclude(user_id=user_id).values("user_id")
    rows = (
        Review.objects.filter(user_id__in=similar, room_id__in=room_ids)
        .values("room_id")
        .annotate(n=Count("id"), mean=Avg("rating"))
        .values_list("room_id", "n", "mean")
    )
    return {room_id: (n, float(mean)) for room_id, n, mean in rows}


def room_popularity(*, room_ids: list[int] | None = None) -> dict[int, int]:
    rooms = Room.objects.all() if room_ids is None else Room.objects.filter(id__in=room_ids)
    return dict(rooms.values_list("id", "review_count"))


# --- serving copies of the champions (ml.models.ServedModel) ------------------------------------------------


def served_model_stamp(*, name: str) -> tuple[str, datetime] | None:
    """(version, published_at) of the served copy under this name, or None: what serving checks."""
    return ServedModel.objects.filter(name=name).values_list("version", "published_at").first()


def served_model_copy(*, name: str) -> tuple[str, datetime, bytes, dict] | None:
    """(version, published_at, payload, meta) of the served copy, or None."""
    row = ServedModel.objects.filter(name=name).values_list("version", "published_at", "payload", "meta").first()
    return None if row is None else (row[0], row[1], bytes(row[2]), row[3])


# --- monthly demand ---------------------------------------------------------------------------


def _month_index(moment: date, first: date) -> int:
    return (moment.year - first.year) * 12 + moment.month - first.month


def monthly_demand(*, kind: str, until: date | None = None) -> tuple[list[date], dict[str, np.ndarray]]:
    """Monthly demand per genre or region: searches + rooms recommended + plays, up to the last
    complete month before `until` (default today). Months without activity are zeros."""
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


# --- chat sessions (session quality) -------------------------------------------------------------


def chat_events(*, type: str, session_ids: list[int] | None = None):
    """(chat session id, user id, payload, occurred_at) of a chat session's events of one type, oldest first."""
    events = Event.objects.filter(type=type, chat_session_id__isnull=False)
    if session_ids is not None:
        events = events.filter(chat_session_id__in=session_ids)
    return (
        events.order_by("occurred_at", "id")
        .values_list("chat_session_id", "user_id", "payload", "occurred_at")
        .iterator(chunk_size=5000)
    )


def review_times(*, user_ids: set[int]) -> dict[tuple[int, int], list[datetime]]:
    """When each of these users reviewed each room: {(user id, room id): [created_at, ...]}."""
    times: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    for user_id, room_id, created_at in Review.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "room_id", "created_at"
    ):
        times[(user_id, room_id)].append(created_at)
    return times


def session_base_rate() -> float:
    """Share of chat sessions (in the event store) with a click or like: the answer when no model was ever
    trained."""
    total = Event.objects.filter(type="chat.message").values("chat_session_id").distinct().count()
    if not total:
        return 0.5
    positive = _positive_feedback().filter(chat_session_id__isnull=False).values("chat_session_id").distinct().count()
    return min(1.0, positive / total)
