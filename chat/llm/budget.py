"""A per-user daily token budget, counted atomically in Redis (shared by every web process)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone


class TokenBudgetExceeded(Exception):
    pass


def _key(user_id: int) -> tuple[str, int]:
    now = timezone.localtime()
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    ttl = int((tomorrow - now).total_seconds()) + 60
    return f"chat:tokens:{user_id}:{now:%Y%m%d}", ttl


def tokens_used_today(*, user_id: int) -> int:
    key, _ = _key(user_id)
    return int(cache.get(key) or 0)


def token_budget_check(*, user_id: int) -> None:
    """Raises TokenBudgetExceeded when the user has spent today's budget (0 disables the budget)."""
    budget = settings.CHAT_DAILY_TOKEN_BUDGET
    if budget and tokens_used_today(user_id=user_id) >= budget:
        raise TokenBudgetExceeded


def token_budget_spend(*, user_id: int, tokens: int) -> int:
    if tokens <= 0:
        return tokens_used_today(user_id=user_id)
    key, ttl = _key(user_id)
    cache.add(key, 0, timeout=ttl)
    return int(cache.incr(key, tokens))


def seconds_until_reset() -> int:
    now = timezone.localtime()
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo)
    return int((tomorrow - now).total_seconds())
