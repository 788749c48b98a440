"""Booking clicks and the success of a recommendation.

A recommendation (one room in one assistant reply) succeeds when its user follows a booking link for that room,
or later logs the room as played, within RECOMMENDATION_SUCCESS_WINDOW_DAYS of the reply. The insights compute
the figures from the stored events (`analytics.selectors.recommendation_cost_insights`); this module records the
`booking.clicked` event and feeds the Prometheus counters that the Grafana "cost per success" panel reads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from analytics import metrics
from analytics.services import EventRejected, event_record
from chat.models import ChatMessage
from chat.selectors import message_get_for_user
from chat.services import ChatError
from rooms.models import Room

logger = logging.getLogger(__name__)

_MAX_ID = 2**63 - 1
# Sources of plays that count as a recommendation's success: an imported history was played elsewhere, earlier.
_SUCCESS_PLAY_SOURCES = frozenset({"manual", "review", "demo"})


class BookingClickInvalid(ChatError):
    status = 400


class BookingTargetNotFound(ChatError):
    status = 404


@dataclass(frozen=True)
class BookingClick:
    room_id: int
    message_id: int | None
    slot_id: int | None
    # The recommendation the click credits (the message's own, or the user's latest of the room in the window).
    credited_message_id: int | None


def _window() -> timedelta:
    return timedelta(days=settings.RECOMMENDATION_SUCCESS_WINDOW_DAYS)


def _id_check(name: str, value, *, required: bool) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _MAX_ID:
        raise BookingClickInvalid(f"{name}는 양의 정수여야 합니다.")
    return value


def recommendation_latest_for(*, user_id: int, room_id: int, before) -> ChatMessage | None:
    """The user's latest assistant reply that recommended the room, at most the window before `before`."""
    return (
        ChatMessage.objects.filter(
            session__user_id=user_id,
            role=ChatMessage.Role.ASSISTANT,
            recommended_room_ids__contains=[room_id],
            created_at__gte=before - _window(),
            created_at__lte=before,
        )
        .order_by("-created_at", "-id")
        .first()
    )


def _success_count(message: ChatMessage, room_id: int, signal: str) -> None:
    """Count a recommendation's success once in Prometheus (a Redis key per recommendation, kept for the window:
    a second click or a later play of the same recommendation is not counted again)."""
    key = f"recommendation-success:{message.id}:{room_id}"
    try:
        first = cache.add(key, signal, timeout=int(_window().total_seconds()))
    except Exception:  # a metric must never break the action; without Redis, count it (rarely twice)
        logger.warning("recommendation success dedupe unavailable", exc_info=True)
        first = True
    if first:
        metrics.recommendation_success_observe(message.provider, message.model, signal)


def booking_click_record(*, user, room_id, message_id=None, slot_id=None) -> BookingClick:
    """A signed-in user followed a booking link of a room: from a recommendation's card (`message_id`, a reply of
    theirs that recommended the room) or from a room page or card outside the chat (no `message_id`).

    Every click is a `booking.clicked` event (a double click is two events; the insights count a recommendation's
    success once). `slot_id` is the time slot the link pointed at, stored as given: the slot may be gone by the
    time anyone reads it."""
    if isinstance(room_id, bool) or not isinstance(room_id, int) or not 0 < room_id <= _MAX_ID:
        raise BookingTargetNotFound("테마를 찾을 수 없습니다.")  # a path's id: no such room
    message_id = _id_check("message_id", message_id, required=False)
    slot_id = _id_check("slot_id", slot_id, required=False)
    room = Room.objects.filter(id=room_id).only("id").first()
    if room is None:
        raise BookingTargetNotFound("테마를 찾을 수 없습니다.")
    message = None
    if message_id is not None:
        message = message_get_for_user(user=user, message_id=message_id)
        if message is None:
            raise BookingTargetNotFound("추천을 찾을 수 없습니다.")
        if room_id not in (message.recommended_room_ids or []):
            raise BookingTargetNotFound("이 추천에 포함되지 않은 테마입니다.")
    now = timezone.now()
    credited = (
        message if message is not None else recommendation_latest_for(user_id=user.id, room_id=room_id, before=now)
    )
    if credited is not None and credited.created_at < now - _window():
        credited = None  # a reply older than the window: the click is stored but credits nothing
    payload = {"room_id": room_id, "message_id": message_id, "slot_id": slot_id}
    if message is not None:
        payload.update(provider=message.provider, model=message.model)
    with transaction.atomic():
        try:
            event_record(
                type="booking.clicked",
                user_id=user.id,
                chat_session_id=message.session_id if message is not None else None,
                payload=payload,
                occurred_at=now,
            )
        except EventRejected:  # analytics counts and logs it; the click itself still succeeds
            logger.warning("booking click event rejected")

        def observe() -> None:
            metrics.booking_click_observe("chat" if message is not None else "page")
            if credited is not None:
                _success_count(credited, room_id, "booking")

        transaction.on_commit(observe, robust=True)
    return BookingClick(
        room_id=room_id,
        message_id=message_id,
        slot_id=slot_id,
        credited_message_id=credited.id if credited is not None else None,
    )


def play_success_observe(sender, *, play, **kwargs) -> None:
    """plays' `play_logged`: a new play of a room recommended to its user within the window is that
    recommendation's success (counted after the play's transaction commits)."""
    if play.source not in _SUCCESS_PLAY_SOURCES:
        return
    user_id, room_id = play.user_id, play.room_id

    def observe() -> None:
        credited = recommendation_latest_for(user_id=user_id, room_id=room_id, before=timezone.now())
        if credited is not None:
            _success_count(credited, room_id, "play")

    transaction.on_commit(observe, robust=True)
