"""JWT issue, absolute-lifetime rotation and revocation (Redis)."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.models import User

_REVOKED_KEY = "jwt:revoked:{jti}"


def tokens_issue(*, user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def tokens_rotate(*, raw_refresh: str) -> dict[str, str]:
    """Swap a refresh token for a new pair; the old one is blacklisted.

    The new refresh token keeps the old expiry, so a session lasts at most REFRESH_TOKEN_LIFETIME
    from login however often it is refreshed. The outstanding row is locked so two concurrent
    refreshes of one token cannot both succeed.
    """
    try:
        refresh = RefreshToken(raw_refresh, verify=True)
    except TokenError as exc:
        raise InvalidToken("리프레시 토큰이 유효하지 않거나 만료되었습니다.") from exc
    with transaction.atomic():
        outstanding = OutstandingToken.objects.select_for_update().filter(jti=refresh["jti"]).first()
        if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
            raise InvalidToken("이미 사용되었거나 폐기된 리프레시 토큰입니다.")
        user = User.objects.filter(pk=refresh[api_settings.USER_ID_CLAIM], is_active=True).first()
        if user is None:
            raise InvalidToken("사용할 수 없는 계정입니다.")
        BlacklistedToken.objects.create(token=outstanding)
        refresh.set_jti()
        refresh.set_iat()
        OutstandingToken.objects.create(
            user=user,
            jti=refresh["jti"],
            token=str(refresh),
            created_at=timezone.now(),
            expires_at=datetime_from_epoch(refresh["exp"]),
        )
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def access_token_revoke(*, jti: str, exp: int) -> None:
    """Refuse this access token from now until it would have expired anyway."""
    ttl = max(int(exp - time.time()), 1)
    cache.set(_REVOKED_KEY.format(jti=jti), 1, timeout=ttl)


def access_token_is_revoked(*, jti: str) -> bool:
    return cache.get(_REVOKED_KEY.format(jti=jti)) is not None


def refresh_token_blacklist(*, raw_refresh: str, user: User) -> None:
    """Blacklist the user's own refresh token; a token of someone else's is refused."""
    try:
        refresh = RefreshToken(raw_refresh, verify=True)
    except TokenError as exc:
        raise InvalidToken("리프레시 토큰이 유효하지 않거나 만료되었습니다.") from exc
    if str(refresh[api_settings.USER_ID_CLAIM]) != str(user.pk):
        raise InvalidToken("리프레시 토큰이 유효하지 않거나 만료되었습니다.")
    refresh.blacklist()
