"""The `chat` rate for WebSocket messages (REST uses DRF's ScopedRateThrottle with the same rate)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle


def chat_rate_allow(*, user_id: int) -> tuple[bool, int]:
    """(allowed, seconds to wait): a fixed window per user, counted atomically in Redis."""
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get("chat")
    if not rate:
        return True, 0
    limit, period = SimpleRateThrottle.parse_rate(None, rate)
    window = int(time.time() // period)
    key = f"chat:ws-rate:{user_id}:{window}"
    cache.add(key, 0, timeout=period + 1)
    count = cache.incr(key)
    if count <= limit:
        return True, 0
    return False, int(period - time.time() % period) + 1
