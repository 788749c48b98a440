from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError

from accounts.login_guard import login_guard_check, login_guard_record_failure, login_guard_reset
from accounts.models import User
from accounts.selectors import user_email_taken, user_username_taken
from accounts.tokens import tokens_issue
from analytics.services import event_record
from escape_ai.exceptions import Conflict


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
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save()
    except IntegrityError as exc:  # a concurrent sign-up took the name between check and insert
        raise Conflict({"username": ["이미 사용 중인 아이디 또는 이메일입니다."]}) from exc
    event_record(type="user.registered", user_id=candidate.pk)  # published after the commit
    return candidate


def user_login(*, username: str, password: str, ip: str, request=None) -> tuple[User, dict[str, str]]:
    """Check the brute-force guard first, then the password; return the user and a token pair."""
    login_guard_check(username=username, ip=ip)
    user = authenticate(request, username=username, password=password)
    if user is None:
        login_guard_record_failure(username=username, ip=ip)
        raise InvalidCredentials
    login_guard_reset(username=username)
    event_record(type="user.logged_in", user_id=user.pk)
    return user, tokens_issue(user=user)


def user_update_preferences(*, user: User, **fields) -> User:
    allowed = {"favorite_regions", "favorite_genres", "usual_party_size", "email"}
    for name, value in fields.items():
        if name in allowed:
            setattr(user, name, value)
    user.save(update_fields=[name for name in fields if name in allowed])
    return user


def user_authenticate(*, username: str, password: str, ip: str, request=None) -> User:
    """The web login's check: the same brute-force guard as the API, but no JWT pair (the site uses sessions)."""
    login_guard_check(username=username, ip=ip)
    user = authenticate(request, username=username, password=password)
    if user is None:
        login_guard_record_failure(username=username, ip=ip)
        raise InvalidCredentials
    login_guard_reset(username=username)
    event_record(type="user.logged_in", user_id=user.pk)
    return user
