"""One-time WebSocket tickets: `POST /chat/ws-ticket` → `/ws/chat/?ticket=…`.

A long-lived JWT in a URL ends up in proxy and server logs. A ticket lives `CHAT_WS_TICKET_SECONDS`
(30 s), opens one socket, and is gone: redeeming is one GETDEL in Redis, so two sockets can never
share one. It carries what authenticated the request that asked for it (the access token's jti and
expiry, or the session's digest and expiry), so the socket ends when that credential does.
"""

from __future__ import annotations

import hashlib
import json
import secrets

from django.conf import settings
from django.core.cache import cache
from django_redis import get_redis_connection


def _key(ticket: str) -> str:
    # Only a digest of the ticket is stored: a look at Redis yields nothing to connect with.
    return cache.make_key(f"chat:ws-ticket:{hashlib.sha256(ticket.encode()).hexdigest()}")


def ws_ticket_issue(*, user_id: int, jti: str | None, session: str | None, exp: int | None) -> str:
    ticket = secrets.token_urlsafe(32)
    claims = {"user_id": user_id, "jti": jti, "session": session, "exp": exp}
    get_redis_connection("default").set(_key(ticket), json.dumps(claims), ex=settings.CHAT_WS_TICKET_SECONDS)
    return ticket


def ws_ticket_redeem(*, ticket: str) -> dict | None:
    """The ticket's claims, once: a second redeem, or one after it expired, gets None."""
    if not ticket or len(ticket) > 200:
        return None
    raw = get_redis_connection("default").getdel(_key(ticket))
    return json.loads(raw) if raw else None
