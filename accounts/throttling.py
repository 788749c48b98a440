"""The `auth` rate (the API's auth endpoints use it through DRF) for the site's and the admin's forms."""

from __future__ import annotations

from django.conf import settings

from escape_ai.ratelimit import rate_allow

TOO_MANY = "요청이 너무 많습니다. {wait}초 후에 다시 시도해 주세요."


def auth_rate_allow(*, ip: str) -> tuple[bool, int]:
    """(allowed, seconds to wait) for one more sign-up or log-in attempt from this address."""
    return rate_allow(scope="auth-form", ident=ip, rate=settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get("auth"))
