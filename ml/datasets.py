"""Training data from the event store and the catalogue: interactions, monthly demand and chat sessions.

The per-message features of a session live here so that training and serving (the session-quality
endpoint) compute them with the same code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from ml import selectors
from ml.selectors import POSITIVE_FEEDBACK

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


@dataclass(frozen=True)
class Step:
    """One message of a chat session as the session-quality model sees it. Training builds steps from the
    `chat.message` events analytics stores; chat builds the same steps from its own rows when it serves
    a live session, so both compute features with `message_features`."""

    role: str  # "user" or "assistant"
    intent: str
    entities: dict
    chars: int  # length of the message text
    at: datetime
    results: int = 0  # rooms the search found (assistant)
    latency_ms: int = 0  # time to answer (assistant)
    recommended: int = 0  # rooms shown (assistant)


def _filled(entities: dict | None) -> int:
    return sum(1 for slot in ENTITY_SLOTS if (entities or {}).get(slot) not in (None, "", []))


def message_features(*, steps: list[Step], dislike_times: list) -> np.ndarray:
    """(T, F) features of a session's messages, oldest first. Only negative feedback is an input:
    clicks and likes are what the model predicts."""
    rows = []
    last_reply_at = None  # dislikes count from the replies so far, so a user message's own time never matters
    for position, step in enumerate(steps):
        assistant = step.role == "assistant"
        if assistant:
            last_reply_at = step.at
        intent = step.intent if step.intent in INTENTS else "other"
        dislikes = (
            0
            if last_reply_at is None
            else sum(1 for moment in dislike_times if moment <= last_reply_at + timedelta(seconds=60))
        )
        rows.append(
            [
                float(not assistant),
                float(assistant),
                *(float(intent == i) for i in INTENTS),
                float(intent == "other"),
                _filled(step.entities) / 5.0,
                float(assistant and intent == "room_recommendation"),
                math.log1p(step.results) / 5.0 if assistant else 0.0,
                math.log1p(step.latency_ms) / 9.0 if assistant else 0.0,
                math.log1p(step.chars) / 6.0,
                step.recommended / 3.0,
                min(dislikes, 5) / 3.0,
                position / 10.0,
            ]
        )
    return np.array(rows, dtype=np.float32).reshape(len(rows), len(MESSAGE_FEATURES))


def _int(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def turn_steps(*, payload: dict, at: datetime) -> list[Step]:
    """The user's message and the reply of one `chat.message` event (one turn)."""
    intent = payload.get("intent") or ""
    entities = payload.get("entities") if isinstance(payload.get("entities"), dict) else {}
    room_ids = payload.get("room_ids") if isinstance(payload.get("room_ids"), list) else []
    latency = payload.get("latency_ms")
    latency_ms = int(latency) if isinstance(latency, int | float) and not isinstance(latency, bool) else 0
    results = payload.get("result_count")
    user = Step(
        role="user",
        intent=intent,
        entities=entities,
        chars=_int(payload.get("user_text_chars")),
        at=at,
    )
    reply = Step(
        role="assistant",
        intent=intent,
        entities=entities,
        chars=_int(payload.get("reply_chars")),
        at=at,
        results=_int(results) if results is not None else len(room_ids),
        latency_ms=max(0, latency_ms),
        recommended=len(room_ids),
    )
    return [user, reply]


@dataclass
class SessionEvents:
    """What the event store holds of one chat session."""

    session_id: int
    user_id: int | None
    started: datetime
    steps: list[Step] = field(default_factory=list)
    recommended: set[int] = field(default_factory=set)
    dislike_times: list[datetime] = field(default_factory=list)
    positive: bool = False


def session_events(*, session_ids: list[int] | None = None) -> list[SessionEvents]:
    """Chat sessions from the analytics events: their turns (`chat.message`) and the feedback on their
    recommendations (`recommendation.clicked`), oldest session first."""
    turns = selectors.chat_events(type="chat.message", session_ids=session_ids)
    sessions: dict[int, SessionEvents] = {}
    for session_id, user_id, payload, occurred_at in turns:
        steps = turn_steps(payload=payload, at=occurred_at)
        session = sessions.get(session_id)
        if session is None:
            session = sessions[session_id] = SessionEvents(session_id, user_id, steps[0].at)
        session.steps.extend(steps)
        session.recommended.update(r for r in payload.get("room_ids") or [] if isinstance(r, int))
    for session_id, _user_id, payload, occurred_at in selectors.chat_events(
        type="recommendation.clicked", session_ids=list(sessions) if session_ids is not None else None
    ):
        session = sessions.get(session_id)
        if session is None:
            continue
        if payload.get("feedback") == "disliked":
            session.dislike_times.append(occurred_at)
        elif payload.get("feedback") in POSITIVE_FEEDBACK:
            session.positive = True
    return sorted(sessions.values(), key=lambda item: (item.started, item.session_id))


def sessions_load(*, session_ids: list[int] | None = None) -> list[tuple[int, np.ndarray, int]]:
    """(session id, features, label) of the chat sessions in the event store, oldest first.

    A session ends well with a click or like on its recommendations, or a review of a room it recommended
    within REVIEW_WINDOW_DAYS."""
    sessions = session_events(session_ids=session_ids)
    reviews = selectors.review_times(user_ids={s.user_id for s in sessions if s.user_id is not None})
    out = []
    for session in sessions:
        reviewed = any(
            session.started <= moment <= session.started + timedelta(days=REVIEW_WINDOW_DAYS)
            for room_id in session.recommended
            for moment in reviews.get((session.user_id, room_id), ())
        )
        features = message_features(steps=session.steps, dislike_times=session.dislike_times)
        out.append((session.session_id, features, int(session.positive or reviewed)))
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
