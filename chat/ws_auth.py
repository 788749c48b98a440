"""WebSocket authentication: the Django session cookie, or a JWT access token in the `token` query parameter
or the `Authorization: Bearer` header (a token, when given, wins over the cookie)."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

from accounts.authentication import RevocableJWTAuthentication
from chat.services import in_worker_thread


def _raw_token(scope) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0]
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            if kind.lower() == "bearer" and token.strip():
                return token.strip()
    return None


def _user_for_token(raw: str):
    authentication = RevocableJWTAuthentication()
    try:
        validated = authentication.get_validated_token(raw.encode())
        return authentication.get_user(validated)
    except (InvalidToken, TokenError, AuthenticationFailed):
        return None


class JWTAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        raw = _raw_token(scope)
        if raw is not None:
            user = await in_worker_thread(_user_for_token)(raw)
            scope["user"] = user or AnonymousUser()
            scope["auth_error"] = None if user else "토큰이 유효하지 않거나 만료되었습니다. 다시 로그인해 주세요."
        return await super().__call__(scope, receive, send)


def ChatAuthMiddlewareStack(inner):  # noqa: N802 - named like Channels' AuthMiddlewareStack
    # The session stack runs first and fills scope["user"] from the cookie; a token then overrides it.
    return AuthMiddlewareStack(JWTAuthMiddleware(inner))
