"""Rates for WebSocket frames (REST uses DRF's ScopedRateThrottle with the same `chat` rate)."""

from __future__ import annotations

from django.conf import settings

from escape_ai.ratelimit import rate_allow


def chat_rate_allow(*, user_id: int) -> tuple[bool, int]:
    """(allowed, seconds to wait) for one more chat message of this user, over all their sockets."""
    return rate_allow(scope="chat", ident=str(user_id), rate=_rate("chat"))


def chat_frame_rate_allow(*, user_id: int) -> tuple[bool, int]:
    """Every frame a user's sockets send (messages, state.get, state.remove, and malformed ones) counts here."""
    return rate_allow(scope="chat-frames", ident=str(user_id), rate=_rate("chat_frames"))


def _rate(scope: str) -> str | None:
    return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(scope)
