"""WebSocket authentication and the origin check.

A socket is authenticated by exactly one credential:
- a one-time ticket (`?ticket=`, from `POST /chat/ws-ticket`),
- a JWT access token (`?token=`, or an `Authorization: Bearer` header), or
- the Django session cookie (the web chat).
A ticket or a token, when given, decides alone (the cookie is ignored). `scope["credential"]` says which one
it was, with what ends it: the token's jti, the session's digest, and the expiry (epoch seconds), so the
consumer can close the socket with 4401 at logout or expiry.

The `Origin` check exists against cross-site WebSocket hijacking, which rides on the browser's cookie: it
applies to cookie connections only. API clients that send a token or a ticket send no `Origin`, and need none
(a foreign page cannot read a victim's token or ticket).
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.middleware import BaseMiddleware
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

from accounts.authentication import RevocableJWTAuthentication
from accounts.models import User
from accounts.services import session_key_digest
from chat.services import in_worker_thread
from chat.ws_tickets import ws_ticket_redeem

TOKEN_INVALID = "토큰이 유효하지 않거나 만료되었습니다. 다시 로그인해 주세요."  # noqa: S105 - a message
TICKET_INVALID = "연결 티켓이 유효하지 않거나 이미 사용되었습니다. 새 티켓을 받아 주세요."


def _query(scope) -> dict[str, list[str]]:
    return parse_qs(scope.get("query_string", b"").decode("latin-1"))


def token_credential(scope) -> tuple[str, str] | None:
    """("ticket" | "token", value) when the connection carries one, else None (a cookie connection)."""
    query = _query(scope)
    if query.get("ticket"):
        return "ticket", query["ticket"][0]
    if query.get("token"):
        return "token", query["token"][0]
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            if kind.lower() == "bearer" and token.strip():
                return "token", token.strip()
    return None


def _token_user(raw: str) -> tuple[User | None, dict]:
    authentication = RevocableJWTAuthentication()
    try:
        validated = authentication.get_validated_token(raw.encode())
        user = authentication.get_user(validated)
    except (InvalidToken, TokenError, AuthenticationFailed):
        return None, {}
    return user, {"kind": "token", "jti": validated["jti"], "exp": int(validated["exp"])}


def _ticket_user(ticket: str) -> tuple[User | None, dict]:
    claims = ws_ticket_redeem(ticket=ticket)
    if claims is None:
        return None, {}
    user = User.objects.filter(pk=claims["user_id"], is_active=True).first()
    if user is None:
        return None, {}
    credential = {"kind": "ticket", **{name: claims.get(name) for name in ("jti", "session", "exp")}}
    return user, credential


def _session_credential(scope) -> dict:
    session = scope.get("session")
    key = getattr(session, "session_key", None)
    if not key:
        return {}
    return {"kind": "session", "session": session_key_digest(key), "exp": int(time.time() + session.get_expiry_age())}


class CredentialMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        given = token_credential(scope)
        if given is None:
            scope["credential"] = await in_worker_thread(_session_credential)(scope)
        else:
            kind, value = given
            resolve = _ticket_user if kind == "ticket" else _token_user
            user, credential = await in_worker_thread(resolve)(value)
            scope["user"] = user or AnonymousUser()
            scope["credential"] = credential
            scope["auth_error"] = None if user else (TICKET_INVALID if kind == "ticket" else TOKEN_INVALID)
        return await super().__call__(scope, receive, send)


def ChatAuthMiddlewareStack(inner):  # noqa: N802 - named like Channels' AuthMiddlewareStack
    # The session stack runs first and fills scope["user"] from the cookie; a ticket or token then overrides it.
    return AuthMiddlewareStack(CredentialMiddleware(inner))


class CookieOriginValidator:
    """Channels' AllowedHostsOriginValidator, for connections that carry no ticket and no token."""

    def __init__(self, application):
        self.application = application
        self.validated = AllowedHostsOriginValidator(application)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and token_credential(scope) is not None:
            return await self.application(scope, receive, send)
        return await self.validated(scope, receive, send)
