from __future__ import annotations

import hashlib
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError

from accounts.login_guard import login_guard_reserve, login_guard_succeeded
from accounts.models import User
from accounts.selectors import user_email_taken, user_username_taken
from accounts.tokens import access_token_revoke, refresh_token_blacklist, tokens_issue
from analytics.services import event_record
from escape_ai.exceptions import Conflict

logger = logging.getLogger(__name__)


class InvalidCredentials(Exception):
    pass


def user_register(
    *,
    username: str,
    email: str,
    password: str,
    favorite_regions: list[str] | None = None,
    favorite_genres: list[str] | None = None,
    usual_party_size: int | None = None,
    disliked_genres: list[str] | None = None,
    max_fear: int | None = None,
) -> User:
    conflicts: dict[str, list[str]] = {}
    if user_username_taken(username=username):
        conflicts["username"] = ["이미 사용 중인 아이디입니다."]
    if user_email_taken(email=email):
        conflicts["email"] = ["이미 가입된 이메일입니다."]
    candidate = User(username=username, email=email)
    try:
        validate_password(password, user=candidate)
    except DjangoValidationError as exc:
        raise ValidationError({**conflicts, "password": list(exc.messages)}) from exc
    if conflicts:  # well-formed, but someone has it: 409, not 400
        raise Conflict(conflicts)

    candidate.favorite_regions = favorite_regions or []
    candidate.favorite_genres = favorite_genres or []
    candidate.usual_party_size = usual_party_size
    candidate.disliked_genres = disliked_genres or []
    candidate.max_fear = max_fear
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save()
    except IntegrityError as exc:  # a concurrent sign-up took the name between check and insert
        raise Conflict({"username": ["이미 사용 중인 아이디 또는 이메일입니다."]}) from exc
    event_record(type="user.registered", user_id=candidate.pk)  # published after the commit
    return candidate


def user_login(*, username: str, password: str, ip: str, request=None) -> tuple[User, dict[str, str]]:
    """The API login: the brute-force guard, the password, then a token pair."""
    user = user_authenticate(username=username, password=password, ip=ip, request=request)
    return user, tokens_issue(user=user)


def user_update_preferences(*, user: User, **fields) -> User:
    allowed = {"favorite_regions", "favorite_genres", "usual_party_size", "disliked_genres", "max_fear", "email"}
    for name, value in fields.items():
        if name in allowed:
            setattr(user, name, value)
    user.save(update_fields=[name for name in fields if name in allowed])
    return user


def user_authenticate(*, username: str, password: str, ip: str, request=None) -> User:
    """Every login (API, site, admin) comes here: an attempt is reserved by the brute-force guard before the
    password is checked (raises `LoginLocked` past the limit), and given back when the password is right."""
    login_guard_reserve(username=username, ip=ip)
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise InvalidCredentials
    login_guard_succeeded(username=username, ip=ip)
    event_record(type="user.logged_in", user_id=user.pk)
    return user


# --- logout: the credential ends, and so do the sockets opened with it ---------------------------------


def user_sockets_group(*, user_id: int) -> str:
    """The Channels group every WebSocket of this user joins, so that ending a credential reaches them."""
    return f"auth_user_{user_id}"


def session_key_digest(session_key: str | None) -> str | None:
    # Sockets are told which session ended without the session key itself travelling through Redis.
    return hashlib.sha256(session_key.encode()).hexdigest() if session_key else None


def _sockets_notify(*, user_id: int, jti: str | None = None, session_key: str | None = None) -> None:
    """Sockets authenticated by this access token (jti) or this session close with 4401. Best effort: the
    logout itself has happened (a socket also re-checks revocation when it connects, and ends at expiry)."""
    message = {"type": "auth.revoked", "jti": jti, "session": session_key_digest(session_key)}
    try:
        async_to_sync(get_channel_layer().group_send)(user_sockets_group(user_id=user_id), message)
    except Exception:  # noqa: BLE001 - Redis down: the logout still succeeds
        logger.warning("could not tell open sockets about a logout", extra={"user_id": user_id})


def user_logout(*, user: User, access_token=None, raw_refresh: str | None = None) -> None:
    """The API logout: the access token is refused from now on (and its sockets close), the refresh token
    (if given, and the user's own) is blacklisted."""
    if access_token is not None and "jti" in getattr(access_token, "payload", {}):
        access_token_revoke(jti=access_token["jti"], exp=access_token["exp"])
        _sockets_notify(user_id=user.pk, jti=access_token["jti"])
    if raw_refresh:
        refresh_token_blacklist(raw_refresh=raw_refresh, user=user)


def user_session_ended(*, user: User | None, session_key: str | None) -> None:
    """A session logout (the site's, the admin's: Django's `user_logged_out`): close that session's sockets."""
    if user is not None and session_key:
        _sockets_notify(user_id=user.pk, session_key=session_key)
