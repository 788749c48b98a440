"""Fixed-window rate limits counted atomically in Redis (shared by every process), for what DRF's
throttles do not cover: server-rendered forms, the admin login, WebSocket frames."""

from __future__ import annotations

import time

from django.core.cache import cache


def rate_parse(rate: str) -> tuple[int, int]:
    """ "20/min" → (20, 60), like DRF's rates: s, sec, m, min, h, hour, d, day."""
    count, _, period = rate.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period.strip()[:1].lower()]
    return int(count), seconds


def rate_allow(*, scope: str, ident: str, rate: str | None) -> tuple[bool, int]:
    """(allowed, seconds to wait) for one more action of `ident` in `scope` (no rate: always allowed)."""
    if not rate:
        return True, 0
    limit, period = rate_parse(rate)
    window = int(time.time() // period)
    key = f"ratelimit:{scope}:{ident}:{window}"
    cache.add(key, 0, timeout=period + 1)
    if cache.incr(key) <= limit:
        return True, 0
    return False, int(period - time.time() % period) + 1
