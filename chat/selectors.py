"""Chat reads: a user's sessions and messages, and the catalogue names the reply validator checks against."""

from __future__ import annotations

import threading
import time

from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.db.models import Count, QuerySet, Value
from django.db.models.functions import Greatest, Replace

from analytics.models import Event
from chat.models import ChatMessage, ChatSession, RecommendationFeedback
from ml.datasets import Step
from ml.inference import session_quality_assess
from rooms.models import Room

_NAMES_TTL_SECONDS = 300
_names_lock = threading.Lock()
_names_cache: tuple[float, dict[int, str]] | None = None


def session_list(*, user) -> QuerySet[ChatSession]:
    return (
        ChatSession.objects.filter(user=user).annotate(message_count=Count("messages")).order_by("-updated_at", "-id")
    )


def session_get(*, user, session_id: int) -> ChatSession | None:
    """The user's own session, or None (another user's session is as good as missing)."""
    return ChatSession.objects.filter(user=user, id=session_id).first()


def session_messages(*, session: ChatSession) -> QuerySet[ChatMessage]:
    return session.messages.order_by("created_at", "id")


def message_get_for_user(*, user, message_id: int) -> ChatMessage | None:
    return (
        ChatMessage.objects.select_related("session")
        .filter(id=message_id, session__user=user, role=ChatMessage.Role.ASSISTANT)
        .first()
    )


def catalogue_room_names() -> dict[int, str]:
    """id → name of every active room, cached per process for a few minutes (the validator runs per reply)."""
    global _names_cache
    now = time.monotonic()
    with _names_lock:
        if _names_cache is not None and now - _names_cache[0] < _NAMES_TTL_SECONDS:
            return _names_cache[1]
    names = dict(Room.objects.filter(is_active=True).values_list("id", "name"))
    with _names_lock:
        _names_cache = (now, names)
    return names


def catalogue_room_names_forget() -> None:
    global _names_cache
    with _names_lock:
        _names_cache = None


SUGGESTION_MIN_SIMILARITY = 0.1


def room_name_suggestions(*, name: str, limit: int = 3) -> list[Room]:
    """Loosely similar active room names for "did you mean …" (looser than `room_find_by_name`'s match)."""
    compact = "".join((name or "").split())
    if not compact:
        return []
    spaceless = Replace("name", Value(" "), Value(""))
    return list(
        Room.objects.select_related("store")
        .filter(is_active=True)
        .annotate(similarity=Greatest(TrigramSimilarity(spaceless, compact), TrigramWordSimilarity(compact, spaceless)))
        .filter(similarity__gte=SUGGESTION_MIN_SIMILARITY)
        .order_by("-similarity", "id")[:limit]
    )


def session_quality_report(*, user_id: int, session_id: int) -> dict | None:
    """Score, model version and per-message attention of the user's session; None if it is not theirs.

    The model learns from chat's events; a live session is scored from its rows (the events reach the
    store with the next flush), turned into the same steps the events give."""
    session = ChatSession.objects.filter(id=session_id, user_id=user_id).first()
    if session is None:
        return None
    messages = list(session_messages(session=session))
    # How many rooms each turn's search found, from the turns' events once they are flushed (the rows keep
    # only the rooms shown, which is the answer before that).
    found = {
        payload["message_id"]: payload["result_count"]
        for payload in Event.objects.filter(type="chat.message", chat_session_id=session.id).values_list(
            "payload", flat=True
        )
        if isinstance(payload.get("message_id"), int) and isinstance(payload.get("result_count"), int)
    }
    steps = [
        Step(
            role=message.role,
            intent=message.intent,
            entities=message.entities or {},
            chars=len(message.text),
            at=message.created_at,
            results=found.get(message.id, len(message.recommended_room_ids or [])),
            latency_ms=message.latency_ms or 0,
            recommended=len(message.recommended_room_ids or []),
        )
        for message in messages
    ]
    dislikes = list(
        RecommendationFeedback.objects.filter(message__session=session, kind=RecommendationFeedback.Kind.DISLIKED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    score, attention, version = session_quality_assess(steps=steps, dislike_times=dislikes)
    if attention is not None:  # the net sees the last messages only; earlier ones get no weight
        attention = [0.0] * (len(messages) - len(attention)) + attention
    return {
        "session_id": session_id,
        "user_id": user_id,
        "score": round(score, 4),
        "model_version": version,
        "messages": [
            {
                "message_id": message.id,
                "role": message.role,
                "attention": None if attention is None else round(attention[i], 4),
            }
            for i, message in enumerate(messages)
        ],
    }
