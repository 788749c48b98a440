"""Training data from the database: interactions, monthly demand and chat sessions.

The per-message features of a session live here so that training and serving (the session-quality
endpoint) compute them with the same code.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

import numpy as np

from ml import selectors

INTENTS = ("room_recommendation", "room_inquiry", "general_chat")
ENTITY_SLOTS = ("region", "genres", "exclude_genres", "players", "difficulty", "room_name", "max_price")
MESSAGE_FEATURES = (
    "role_user",
    "role_assistant",
    *(f"intent:{i}" for i in INTENTS),
    "intent:other",
    "entities_filled",
    "ran_search",
    "results",
    "latency",
    "reply_length",
    "recommended",
    "dislikes_so_far",
    "position",
)
# A session ends well with a click or like on its recommendations, or a review of a room it
# recommended within this many days.
REVIEW_WINDOW_DAYS = 30


def _filled(entities: dict | None) -> int:
    return sum(1 for slot in ENTITY_SLOTS if (entities or {}).get(slot) not in (None, "", []))


def message_features(*, messages: list, result_counts: dict[int, int], dislike_times: list) -> np.ndarray:
    """(T, F) features of a session's messages, oldest first. Only negative feedback is an input:
    clicks and likes are what the model predicts."""
    rows = []
    for position, message in enumerate(messages):
        assistant = message.role == "assistant"
        intent = message.intent if message.intent in INTENTS else "other"
        recommended = list(message.recommended_room_ids or [])
        results = result_counts.get(message.id, len(recommended)) if assistant else 0
        dislikes = sum(1 for moment in dislike_times if moment <= message.created_at + timedelta(seconds=60))
        rows.append(
            [
                float(not assistant),
                float(assistant),
                *(float(intent == i) for i in INTENTS),
                float(intent == "other"),
                _filled(message.entities) / 5.0,
                float(assistant and intent == "room_recommendation"),
                math.log1p(results) / 5.0,
                math.log1p(message.latency_ms or 0) / 9.0 if assistant else 0.0,
                math.log1p(len(message.text or "")) / 6.0,
                len(recommended) / 3.0,
                min(dislikes, 5) / 3.0,
                position / 10.0,
            ]
        )
    return np.array(rows, dtype=np.float32).reshape(len(rows), len(MESSAGE_FEATURES))


def _result_counts(*, session_ids: list[int] | None) -> dict[int, int]:
    from analytics.models import Event

    events = Event.objects.filter(type="chat.message")
    if session_ids is not None:
        events = events.filter(chat_session_id__in=session_ids)
    counts = {}
    for payload in events.values_list("payload", flat=True).iterator(chunk_size=5000):
        if isinstance(payload.get("message_id"), int) and isinstance(payload.get("result_count"), int):
            counts[payload["message_id"]] = payload["result_count"]
    return counts


def sessions_load(*, session_ids: list[int] | None = None) -> list[tuple[int, np.ndarray, int]]:
    """(session id, features, label) for sessions with at least one message, oldest first."""
    from chat.models import ChatMessage, ChatSession, RecommendationFeedback
    from rooms.models import Review

    sessions = ChatSession.objects.order_by("created_at", "id")
    if session_ids is not None:
        sessions = sessions.filter(id__in=session_ids)
    session_rows = list(sessions.values_list("id", "user_id", "created_at"))
    ids = [row[0] for row in session_rows]
    messages = defaultdict(list)
    for message in (
        ChatMessage.objects.filter(session_id__in=ids)
        .order_by("created_at", "id")
        .only(
            "id", "session_id", "role", "text", "intent", "entities", "recommended_room_ids", "latency_ms", "created_at"
        )
    ):
        messages[message.session_id].append(message)
    dislikes, positive = defaultdict(list), set()
    for session_id, kind, created_at in RecommendationFeedback.objects.filter(message__session_id__in=ids).values_list(
        "message__session_id", "kind", "created_at"
    ):
        if kind == "disliked":
            dislikes[session_id].append(created_at)
        else:
            positive.add(session_id)
    reviews = defaultdict(list)
    users = {row[1] for row in session_rows}
    for user_id, room_id, created_at in Review.objects.filter(user_id__in=users).values_list(
        "user_id", "room_id", "created_at"
    ):
        reviews[(user_id, room_id)].append(created_at)
    counts = _result_counts(session_ids=None if session_ids is None else ids)
    out = []
    for session_id, user_id, created_at in session_rows:
        if not messages[session_id]:
            continue
        recommended = {r for m in messages[session_id] for r in (m.recommended_room_ids or [])}
        reviewed = any(
            created_at <= moment <= created_at + timedelta(days=REVIEW_WINDOW_DAYS)
            for room_id in recommended
            for moment in reviews.get((user_id, room_id), ())
        )
        features = message_features(
            messages=messages[session_id], result_counts=counts, dislike_times=dislikes[session_id]
        )
        out.append((session_id, features, int(session_id in positive or reviewed)))
    return out


def recommender_rows() -> tuple[list[tuple[int, int, float]], dict[int, list[float]], dict[int, list[float]]]:
    """Interactions, room content features (every room, so cold rooms are in the catalogue) and
    user preference features."""
    return selectors.interactions_all(), selectors.room_feature_rows(), selectors.user_feature_rows()


def demand_series() -> tuple[list, dict[str, np.ndarray]]:
    """Monthly demand for every genre ("genre:공포") and region ("region:강남"), on shared months."""
    months_g, genres = selectors.monthly_demand(kind="genre")
    months_r, regions = selectors.monthly_demand(kind="region")
    months = months_g if len(months_g) >= len(months_r) else months_r
    series: dict[str, np.ndarray] = {}
    for prefix, kind_months, values in (("genre", months_g, genres), ("region", months_r, regions)):
        offset = len(months) - len(kind_months)
        for key, array in values.items():
            series[f"{prefix}:{key}"] = np.concatenate([np.zeros(offset), array])
    return months, series
