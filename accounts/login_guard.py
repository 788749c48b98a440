"""Brute-force guard: failed logins counted atomically in Redis per username and per IP.

The check runs before the password is looked at, so a locked-out attacker learns nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django_redis import get_redis_connection


@dataclass(frozen=True)
class LoginLocked(Exception):
    retry_after: int


def _keys(*, username: str, ip: str) -> list[tuple[str, int]]:
    limit = settings.LOGIN_FAILURE_LIMIT
    return [
        (cache.make_key(f"login:fail:user:{username.lower()}"), limit),
        (cache.make_key(f"login:fail:ip:{ip}"), limit * settings.LOGIN_FAILURE_IP_FACTOR),
    ]


def login_guard_check(*, username: str, ip: str) -> None:
    redis = get_redis_connection("default")
    keys = _keys(username=username, ip=ip)
    with redis.pipeline() as pipe:
        for key, _ in keys:
            pipe.get(key)
            pipe.ttl(key)
        values = pipe.execute()
    for index, (_, limit) in enumerate(keys):
        count, ttl = values[2 * index], values[2 * index + 1]
        if count is not None and int(count) >= limit:
            raise LoginLocked(retry_after=max(int(ttl), 1))


def login_guard_record_failure(*, username: str, ip: str) -> None:
    redis = get_redis_connection("default")
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    with redis.pipeline(transaction=True) as pipe:
        for key, _ in _keys(username=username, ip=ip):
            pipe.incr(key)
            pipe.expire(key, window, nx=True)
        pipe.execute()


def login_guard_reset(*, username: str) -> None:
    get_redis_connection("default").delete(cache.make_key(f"login:fail:user:{username.lower()}"))
