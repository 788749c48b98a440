"""Every LLM call goes through here: timeout, retries, a circuit breaker, tokens and cost.

The breaker is per process and per provider: after `LLM_CIRCUIT_FAILURES` failures in a row the provider is
skipped (the offline pipeline answers) for `LLM_CIRCUIT_RESET_SECONDS`, then one call is let through to test it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from pydantic import ValidationError

from chat.llm.budget import TokenBudgetExceeded, TokenReservation, token_budget_reserve, token_budget_settle
from chat.llm.providers import ProviderChoice

logger = logging.getLogger(__name__)


@dataclass
class LLMUsage:
    """What the LLM calls of one message cost; `fallback` is set when the offline pipeline had to answer."""

    provider: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal("0")
    latency_s: float = 0.0
    calls: int = 0
    fallback: bool = False
    error: str | None = None

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def merge(self, other: LLMUsage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cost_usd += other.cost_usd
        self.latency_s += other.latency_s
        self.calls += other.calls
        self.fallback = self.fallback or other.fallback
        self.error = self.error or other.error


class LLMCallFailed(Exception):
    """The call failed after its retries, timed out, returned something invalid, or the circuit is open."""

    def __init__(self, reason: str, usage: LLMUsage):
        super().__init__(reason)
        self.reason = reason
        self.usage = usage


class CircuitBreaker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._opened_at: dict[str, float] = {}

    def allow(self, provider: str) -> bool:
        with self._lock:
            opened = self._opened_at.get(provider)
            if opened is None:
                return True
            if time.monotonic() - opened >= settings.LLM_CIRCUIT_RESET_SECONDS:
                # Half-open: let one call test the provider; a failure re-opens at once.
                del self._opened_at[provider]
                self._failures[provider] = settings.LLM_CIRCUIT_FAILURES - 1
                return True
            return False

    def success(self, provider: str) -> None:
        with self._lock:
            self._failures[provider] = 0

    def failure(self, provider: str) -> None:
        with self._lock:
            count = self._failures.get(provider, 0) + 1
            self._failures[provider] = count
            if count >= settings.LLM_CIRCUIT_FAILURES:
                self._opened_at[provider] = time.monotonic()
                logger.warning("LLM circuit opened", extra={"provider": provider, "failures": count})

    def is_open(self, provider: str) -> bool:
        with self._lock:
            return provider in self._opened_at

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
            self._opened_at.clear()


breaker = CircuitBreaker()


def cost_usd(*, model: str, input_tokens: int, output_tokens: int) -> Decimal:
    """Price per call from the settings table (USD per million tokens); unknown models cost 0 and are logged."""
    prices = settings.LLM_PRICES_USD_PER_MTOK.get(model)
    if prices is None:
        return Decimal("0")
    per_million = Decimal(1_000_000)
    return (
        Decimal(str(prices["input"])) * input_tokens / per_million
        + Decimal(str(prices["output"])) * output_tokens / per_million
    ).quantize(Decimal("0.000001"))


def usage_from_message(message: Any) -> tuple[int, int]:
    metadata = getattr(message, "usage_metadata", None) or {}
    return int(metadata.get("input_tokens") or 0), int(metadata.get("output_tokens") or 0)


_NOT_RETRIED = (ValidationError, ValueError, TypeError)
# Per message, what a chat format adds around its text (role markers, separators): generous.
_MESSAGE_OVERHEAD_TOKENS = 16


def input_tokens_bound(messages: list, *, extra: int = 0) -> int:
    """An upper bound of the input tokens of `messages`: their UTF-8 bytes (a byte-level BPE token is at least
    one byte) plus each message's framing, plus `extra` (e.g. a structured-output tool's JSON schema)."""
    total = extra
    for message in messages:
        content = getattr(message, "content", message)
        text = content if isinstance(content, str) else str(content)
        total += len(text.encode()) + _MESSAGE_OVERHEAD_TOKENS
    return total


async def _reserve(user_id: int | None, tokens: int) -> TokenReservation | None:
    if user_id is None or not settings.CHAT_DAILY_TOKEN_BUDGET:
        return None
    return await sync_to_async(token_budget_reserve, thread_sensitive=False)(user_id=user_id, tokens=tokens)


async def _settle(reservation: TokenReservation | None, tokens: int) -> None:
    if reservation is not None:
        await sync_to_async(token_budget_settle, thread_sensitive=False)(reservation=reservation, tokens=tokens)


def _breaker_allows(choice: ProviderChoice, usage: LLMUsage) -> None:
    if not breaker.allow(choice.provider):
        usage.error = "circuit_open"
        raise LLMCallFailed("circuit_open", usage)


async def _attempt_reserve(user_id: int | None, worst_case: int, usage: LLMUsage) -> TokenReservation | None:
    """An attempt that does not fit in the user's budget is not made."""
    try:
        return await _reserve(user_id, worst_case)
    except TokenBudgetExceeded as exc:
        usage.error = "budget"
        raise LLMCallFailed("budget", usage) from exc


async def _attempt_succeeded(
    *, choice: ProviderChoice, usage: LLMUsage, started: float, reservation, input_tokens: int, output_tokens: int
) -> None:
    usage.latency_s += time.perf_counter() - started
    usage.calls += 1
    await _settle(reservation, input_tokens + output_tokens)
    usage.input_tokens += input_tokens
    usage.output_tokens += output_tokens
    usage.cost_usd += cost_usd(model=choice.model, input_tokens=input_tokens, output_tokens=output_tokens)
    breaker.success(choice.provider)


def _attempt_failed(*, choice: ProviderChoice, usage: LLMUsage, started: float) -> bool:
    """Count a failed attempt; whether another may be made (the breaker may have opened)."""
    usage.latency_s += time.perf_counter() - started
    usage.calls += 1
    breaker.failure(choice.provider)
    return breaker.allow(choice.provider)


async def llm_ainvoke(
    runnable: Any, messages: list, *, choice: ProviderChoice, user_id: int | None = None, extra_input_tokens: int = 0
) -> tuple[Any, LLMUsage]:
    """`runnable.ainvoke(messages)` with timeout, retries, the breaker and the user's token budget.

    `runnable` is a chat model (returns an AIMessage) or a structured-output runnable built with
    `include_raw=True` (returns {"raw", "parsed", "parsing_error"}). Tokens are counted from the raw message
    of every attempt that got an answer, since every answer is billed. With a `user_id`, each attempt first
    reserves its worst case (`input_tokens_bound` + `LLM_MAX_TOKENS`) in the daily budget and settles to the
    reported usage after; an attempt that does not fit is not made (`LLMCallFailed("budget")`).
    """
    usage = LLMUsage(provider=choice.provider, model=choice.model)
    _breaker_allows(choice, usage)
    worst_case = input_tokens_bound(messages, extra=extra_input_tokens) + settings.LLM_MAX_TOKENS
    last_error = "error"
    for attempt in range(1 + max(0, settings.LLM_MAX_RETRIES)):
        reservation = await _attempt_reserve(user_id, worst_case, usage)
        started = time.perf_counter()
        try:
            result = await asyncio.wait_for(runnable.ainvoke(messages), timeout=settings.LLM_TIMEOUT_SECONDS)
        except TimeoutError:
            # The provider may have done (and billed) the work: the reservation stays spent.
            last_error = "timeout"
        except _NOT_RETRIED as exc:
            await _settle(reservation, 0)
            _attempt_failed(choice=choice, usage=usage, started=started)
            usage.error = f"invalid:{type(exc).__name__}"
            raise LLMCallFailed(usage.error, usage) from exc
        except Exception as exc:  # noqa: BLE001 - any client error (network, auth, rate limit) means "fall back"
            await _settle(reservation, 0)
            last_error = type(exc).__name__
            logger.warning(
                "LLM call failed", extra={"provider": choice.provider, "attempt": attempt, "error": last_error}
            )
        else:
            raw = result.get("raw") if isinstance(result, dict) else result
            input_tokens, output_tokens = usage_from_message(raw)
            await _attempt_succeeded(
                choice=choice,
                usage=usage,
                started=started,
                reservation=reservation,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
            )
            return result, usage
        if not _attempt_failed(choice=choice, usage=usage, started=started):
            break
    usage.error = last_error
    raise LLMCallFailed(last_error, usage)


async def llm_astream(
    model: Any, messages: list, *, choice: ProviderChoice, usage: LLMUsage, user_id: int | None = None
) -> AsyncIterator[str]:
    """The model's reply as it is generated (text pieces), with the breaker, the user's token budget (each attempt
    reserves its worst case first and settles to the reported usage after, as `llm_ainvoke` does), a timeout on
    every wait, and retries only before the first piece (once text has reached the user it cannot be taken
    back). Tokens and cost are added to `usage`. Raises `LLMCallFailed` when the reply cannot go on."""
    _breaker_allows(choice, usage)
    worst_case = input_tokens_bound(messages) + settings.LLM_MAX_TOKENS
    last_error = "error"
    for attempt in range(1 + max(0, settings.LLM_MAX_RETRIES)):
        reservation = await _attempt_reserve(user_id, worst_case, usage)
        started = time.perf_counter()
        stream = model.astream(messages).__aiter__()
        produced = False
        input_tokens = output_tokens = 0
        try:
            while True:
                try:
                    chunk = await asyncio.wait_for(stream.__anext__(), timeout=settings.LLM_TIMEOUT_SECONDS)
                except StopAsyncIteration:
                    break
                # Providers report usage on the last chunk (OpenAI) or split over the first and last (Anthropic).
                chunk_in, chunk_out = usage_from_message(chunk)
                input_tokens, output_tokens = max(input_tokens, chunk_in), max(output_tokens, chunk_out)
                text = chunk.content if isinstance(chunk.content, str) else ""
                if text:
                    produced = True
                    yield text
        except TimeoutError:
            last_error = "timeout"  # the provider may have done (and billed) the work: the reservation stays spent
        except Exception as exc:  # noqa: BLE001 - any client error (network, auth, rate limit) means "fall back"
            last_error = type(exc).__name__
            if not produced:
                await _settle(reservation, 0)
            logger.warning(
                "LLM stream failed", extra={"provider": choice.provider, "attempt": attempt, "error": last_error}
            )
        else:
            await _attempt_succeeded(
                choice=choice,
                usage=usage,
                started=started,
                reservation=reservation,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
            )
            return
        finally:
            with contextlib.suppress(Exception):
                await stream.aclose()
        if not _attempt_failed(choice=choice, usage=usage, started=started) or produced:
            break
    usage.error = last_error
    raise LLMCallFailed(last_error, usage)
