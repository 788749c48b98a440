"""A per-user daily token budget, counted atomically in Redis (shared by every web process).

Every LLM call *reserves* its worst case before it is made (the input's upper bound plus `LLM_MAX_TOKENS`
of output) in one Lua script that refuses when the reservation would pass the budget, and *settles* to
what the provider reported after it. Parallel turns therefore never spend past the budget: a call that
does not fit is not made (the offline templates answer instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django_redis import get_redis_connection


class TokenBudgetExceeded(Exception):
    pass


# KEYS[1]: today's counter; ARGV: budget, tokens to reserve, ttl. Returns the new total, or -1 when refused.
_RESERVE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local budget = tonumber(ARGV[1])
local tokens = tonumber(ARGV[2])
if budget > 0 and used + tokens > budget then
  return -1
end
local total = redis.call('INCRBY', KEYS[1], tokens)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return total
"""
# KEYS[1]: the counter the reservation went to; ARGV[1]: actual - reserved (usually negative).
_SETTLE = """
local total = redis.call('INCRBY', KEYS[1], tonumber(ARGV[1]))
if total < 0 then
  redis.call('SET', KEYS[1], 0, 'KEEPTTL')
  total = 0
end
return total
"""
_scripts: dict[str, object] = {}


def _script(name: str, source: str):
    if name not in _scripts:
        _scripts[name] = get_redis_connection("default").register_script(source)
    return _scripts[name]


def _key(user_id: int) -> tuple[str, int]:
    now = timezone.localtime()
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    ttl = int((tomorrow - now).total_seconds()) + 60
    return f"chat:tokens:{user_id}:{now:%Y%m%d}", ttl


@dataclass(frozen=True)
class TokenReservation:
    key: str  # the full Redis key: a call that crosses midnight settles on the day it reserved on
    tokens: int


def tokens_used_today(*, user_id: int) -> int:
    key, _ = _key(user_id)
    return int(cache.get(key) or 0)


def token_budget_check(*, user_id: int, need: int = 0) -> None:
    """Raises TokenBudgetExceeded when the user has spent today's budget, or what is left of it cannot cover
    `need` tokens (the worst case of the turn's first LLM call). 0 disables the budget."""
    budget = settings.CHAT_DAILY_TOKEN_BUDGET
    used = tokens_used_today(user_id=user_id) if budget else 0
    if budget and (used >= budget or used + need > budget):
        raise TokenBudgetExceeded


def token_budget_reserve(*, user_id: int, tokens: int) -> TokenReservation:
    """Count `tokens` against today's budget now, or raise TokenBudgetExceeded if they do not fit."""
    key, ttl = _key(user_id)
    full_key = cache.make_key(key)
    total = _script("reserve", _RESERVE)(keys=[full_key], args=[settings.CHAT_DAILY_TOKEN_BUDGET, tokens, ttl])
    if int(total) < 0:
        raise TokenBudgetExceeded
    return TokenReservation(key=full_key, tokens=tokens)


def token_budget_settle(*, reservation: TokenReservation, tokens: int) -> int:
    """Replace the reservation by what the call really cost; returns the day's total."""
    return int(_script("settle", _SETTLE)(keys=[reservation.key], args=[tokens - reservation.tokens]))


def seconds_until_reset() -> int:
    now = timezone.localtime()
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo)
    return int((tomorrow - now).total_seconds())
