"""Brute-force guard: login attempts counted atomically in Redis per username and per IP.

An attempt is *reserved* (counted as a failure) in one Lua script before the password is looked at; a
successful login then gives its reservation back. So however many guesses arrive at once, at most the
limit of them reach the password check: there is no window between "read the counter" and "count the
failure". A locked-out attacker learns nothing about the password. The API login, the site's /login/ and
the admin's login all go through here with the same limits.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django_redis import get_redis_connection


@dataclass(frozen=True)
class LoginLocked(Exception):
    retry_after: int


# KEYS: counters (username, IP); ARGV: their limits, then the window in seconds.
# Returns {1, 0} when the attempt is reserved, {0, seconds until the counter that is full expires} when not.
_RESERVE = """
for i = 1, #KEYS do
  local count = tonumber(redis.call('GET', KEYS[i]) or '0')
  if count >= tonumber(ARGV[i]) then
    local ttl = redis.call('TTL', KEYS[i])
    if ttl < 1 then ttl = 1 end
    return {0, ttl}
  end
end
local window = tonumber(ARGV[#KEYS + 1])
for i = 1, #KEYS do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], window, 'NX')
end
return {1, 0}
"""
# A successful login: the username's failures are forgotten, the IP's reservation is given back.
_SUCCEEDED = """
redis.call('DEL', KEYS[1])
local left = redis.call('DECR', KEYS[2])
if left <= 0 then redis.call('DEL', KEYS[2]) end
return 1
"""
_scripts: dict[str, object] = {}


def _script(name: str, source: str):
    if name not in _scripts:
        _scripts[name] = get_redis_connection("default").register_script(source)
    return _scripts[name]


def _user_key(username: str) -> str:
    return cache.make_key(f"login:fail:user:{username.lower()}")


def _ip_key(ip: str) -> str:
    return cache.make_key(f"login:fail:ip:{ip}")


def login_guard_reserve(*, username: str, ip: str) -> None:
    """Count this attempt before the password check; raises `LoginLocked` when either counter is full."""
    limit = settings.LOGIN_FAILURE_LIMIT
    allowed, retry_after = _script("reserve", _RESERVE)(
        keys=[_user_key(username), _ip_key(ip)],
        args=[limit, limit * settings.LOGIN_FAILURE_IP_FACTOR, settings.LOGIN_FAILURE_WINDOW_SECONDS],
    )
    if not allowed:
        raise LoginLocked(retry_after=int(retry_after))


def login_guard_succeeded(*, username: str, ip: str) -> None:
    """The password was right: forget the username's failures and return the IP's reservation."""
    _script("succeeded", _SUCCEEDED)(keys=[_user_key(username), _ip_key(ip)])
