"""Event types and payload rules: the one place that decides what an event may look like."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

CRITICAL_TYPES = frozenset({"user.registered", "user.logged_in", "error"})
ORDINARY_TYPES = frozenset(
    {
        "chat.message",
        "recommendation.shown",
        "recommendation.clicked",
        # A booking link followed (chat.booking.booking_click_record): with play.logged, the success signal
        # of a recommendation in the cost-per-success insights.
        "booking.clicked",
        "room.viewed",
        "search.performed",
        # Reviews reach the insights as events (rooms.services.review_upsert records them).
        "review.created",
        "review.updated",
        # The play log and parties (plays.services; ml.group for the party recommendations).
        "play.logged",
        "party.created",
        "party.recommendations_shown",
    }
)
EVENT_TYPES = CRITICAL_TYPES | ORDINARY_TYPES

_NUMBER = (int, float)
# Per type: key -> (accepted Python types, required). Keys not listed are allowed and stored as they are;
# listed keys are type-checked because the rollup SQL casts them.
_PAYLOAD_RULES: dict[str, dict[str, tuple[tuple[type, ...], bool]]] = {
    "search.performed": {
        "query": ((str,), False),
        "region": ((str, type(None)), False),
        "genres": ((list,), False),
        "players": ((int, type(None)), False),
        "result_count": ((int,), False),
        "method": ((str, type(None)), False),
    },
    "recommendation.shown": {
        "room_ids": ((list,), False),
        "region": ((str, type(None)), False),
        "genres": ((list,), False),
        "message_id": ((int, type(None)), False),
        # the LLM provider and model that wrote the reply (cost per success is counted per model)
        "provider": ((str, type(None)), False),
        "model": ((str, type(None)), False),
    },
    "recommendation.clicked": {
        "room_id": ((int,), True),
        "message_id": ((int, type(None)), False),
        "feedback": ((str,), True),
        "region": ((str, type(None)), False),
        "genres": ((list,), False),
    },
    "chat.message": {
        "message_id": ((int, type(None)), False),
        "user_message_id": ((int, type(None)), False),
        "user_text_chars": ((int,), False),
        "reply_chars": ((int,), False),
        "room_ids": ((list,), False),
        "intent": ((str, type(None)), False),
        "entities": ((dict, type(None)), False),
        "ran_search": ((bool,), False),
        "result_count": ((int, type(None)), False),
        "latency_ms": ((*_NUMBER, type(None)), False),
        "provider": ((str, type(None)), False),
        "model": ((str, type(None)), False),
        "input_tokens": ((int, type(None)), False),
        "output_tokens": ((int, type(None)), False),
        "cost_usd": ((*_NUMBER, type(None)), False),
        "fallback": ((bool,), False),
    },
    "booking.clicked": {
        "room_id": ((int,), True),
        "message_id": ((int, type(None)), False),
        "slot_id": ((int, type(None)), False),
        "provider": ((str, type(None)), False),
        "model": ((str, type(None)), False),
    },
    "room.viewed": {"room_id": ((int,), True)},
    "review.created": {
        "room_id": ((int,), True),
        "rating": ((int,), True),
        "region": ((str, type(None)), False),
        "genres": ((list,), False),
    },
    "review.updated": {
        "room_id": ((int,), True),
        "rating": ((int,), True),
        "region": ((str, type(None)), False),
        "genres": ((list,), False),
    },
    "play.logged": {
        "room_id": ((int,), True),
        "region": ((str, type(None)), False),
        "genres": ((list,), False),
        "escaped": ((bool,), False),
        "hints_used": ((int,), False),
        "source": ((str,), False),
    },
    "party.created": {"party_id": ((int,), True)},
    "party.recommendations_shown": {
        "party_id": ((int,), True),
        "room_ids": ((list,), False),
        "member_ids": ((list,), False),
        "region": ((str, type(None)), False),
        "genres": ((list,), False),
    },
    "user.registered": {},
    "user.logged_in": {},
    "error": {"error_type": ((str,), True), "source": ((str, type(None)), False), "detail": ((str, type(None)), False)},
}
_FEEDBACK = {"clicked", "liked", "disliked"}
# One encoder for every event (json.dumps with options builds a new encoder per call).
# allow_nan=False: NaN/Infinity are not JSON and PostgreSQL's jsonb refuses them.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_MAX_INT = 2**63 - 1


class EventRejected(ValueError):
    """A malformed event. `reason` is a short machine label used as a metric label."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def payload_check(*, type: str, payload: dict[str, Any]) -> None:
    rules = _PAYLOAD_RULES[type]
    for key, (types, required) in rules.items():
        if key not in payload:
            if required:
                raise EventRejected("missing_field", f"{type} 이벤트에 필수 항목 {key!r}가 없습니다.")
            continue
        value = payload[key]
        # bool is an int in Python; an int field must not accept True.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise EventRejected("bad_field", f"{type} 이벤트의 {key!r} 값의 형식이 올바르지 않습니다.")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _MAX_INT:
            raise EventRejected("bad_field", f"{type} 이벤트의 {key!r} 값이 너무 큽니다.")
        if key == "genres" and not all(isinstance(item, str) for item in value):
            raise EventRejected("bad_field", f"{type} 이벤트의 genres는 문자열 목록이어야 합니다.")
        if key in ("room_ids", "member_ids") and not all(
            isinstance(item, int) and not isinstance(item, bool) for item in value
        ):
            raise EventRejected("bad_field", f"{type} 이벤트의 {key}는 정수 목록이어야 합니다.")
    if type == "recommendation.clicked" and payload["feedback"] not in _FEEDBACK:
        raise EventRejected("bad_field", "feedback은 clicked, liked, disliked 중 하나여야 합니다.")
    if type in ("review.created", "review.updated") and not 1 <= payload["rating"] <= 5:
        raise EventRejected("bad_field", "rating은 1에서 5 사이여야 합니다.")


def event_document(
    *,
    type: str,
    event_id: uuid.UUID,
    user_id: int | None,
    chat_session_id: int | None,
    payload: dict | None,
    occurred_at: datetime,
    max_payload_bytes: int,
) -> str:
    """Validate an event and return its JSON line, exactly what the buffer and the broker carry."""
    if type not in EVENT_TYPES:
        raise EventRejected("unknown_type", f"알 수 없는 이벤트 유형입니다: {str(type)[:50]!r}")
    payload = {} if payload is None else payload
    if not isinstance(payload, dict):
        raise EventRejected("bad_payload", "이벤트 payload는 JSON 객체(dict)여야 합니다.")
    for name, value in (("user_id", user_id), ("chat_session_id", chat_session_id)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= _MAX_INT):
            raise EventRejected("bad_field", f"{name}는 양의 정수여야 합니다.")
    if occurred_at.tzinfo is None:
        raise EventRejected("bad_field", "occurred_at에는 시간대가 있어야 합니다.")
    try:
        payload_json = _ENCODER.encode(payload)
    except (TypeError, ValueError) as exc:
        raise EventRejected("not_json", "이벤트 payload를 JSON으로 직렬화할 수 없습니다.") from exc
    try:
        size = len(payload_json.encode())
    except UnicodeEncodeError as exc:  # a lone surrogate: not valid UTF-8, PostgreSQL would refuse it
        raise EventRejected("not_json", "이벤트 payload에 잘못된 문자가 있습니다.") from exc
    if size > max_payload_bytes:
        raise EventRejected("oversized", f"이벤트 payload가 너무 큽니다 (최대 {max_payload_bytes}바이트).")
    if "\\u0000" in payload_json or "\x00" in payload_json:
        raise EventRejected("not_json", "이벤트 payload에 NUL 문자를 넣을 수 없습니다.")
    payload_check(type=type, payload=payload)
    # Both ids were checked to be None or an int above: writing them directly is their JSON.
    return (
        f'{{"event_id":"{event_id}","type":"{type}","user_id":{"null" if user_id is None else user_id},'
        f'"chat_session_id":{"null" if chat_session_id is None else chat_session_id},'
        f'"occurred_at":"{occurred_at.isoformat()}","payload":{payload_json}}}'
    )


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


# One decoder for every document (json.loads with an option builds a new decoder per call).
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def document_parse(raw: str | bytes, *, max_payload_bytes: int) -> dict:
    """Re-validate a document read back from the buffer or the broker (it may come from an older release).

    Returns its type and the document text to store as it is (checked, not re-serialised: the flush's hot path).
    """
    text = raw.decode() if isinstance(raw, bytes) else raw
    if len(text) > max_payload_bytes + 1024:
        raise EventRejected("oversized", f"이벤트 payload가 너무 큽니다 (최대 {max_payload_bytes}바이트).")
    if "\\u0000" in text or "\x00" in text:
        raise EventRejected("not_json", "이벤트 payload에 NUL 문자를 넣을 수 없습니다.")
    try:
        doc = _DECODER.decode(text)
        uuid.UUID(doc["event_id"])
        occurred_at = datetime.fromisoformat(doc["occurred_at"])
        type_ = doc["type"]
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise EventRejected("unreadable", "이벤트 문서를 읽을 수 없습니다.") from exc
    if type_ not in EVENT_TYPES:
        raise EventRejected("unknown_type", f"알 수 없는 이벤트 유형입니다: {str(type_)[:50]!r}")
    if occurred_at.tzinfo is None:
        raise EventRejected("bad_field", "occurred_at에는 시간대가 있어야 합니다.")
    for name in ("user_id", "chat_session_id"):
        value = doc.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= _MAX_INT):
            raise EventRejected("bad_field", f"{name}는 양의 정수여야 합니다.")
    payload = doc.get("payload")
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise EventRejected("bad_payload", "이벤트 payload는 JSON 객체(dict)여야 합니다.")
    payload_check(type=type_, payload=payload)
    return {"type": type_, "json": text}
