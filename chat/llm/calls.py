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

from django.conf import settings
from pydantic import ValidationError

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


async def llm_ainvoke(runnable: Any, messages: list, *, choice: ProviderChoice) -> tuple[Any, LLMUsage]:
    """`runnable.ainvoke(messages)` with timeout, retries and the breaker.

    `runnable` is a chat model (returns an AIMessage) or a structured-output runnable built with
    `include_raw=True` (returns {"raw", "parsed", "parsing_error"}). Tokens are counted from the raw message
    of every attempt that got an answer, since every answer is billed.
    """
    usage = LLMUsage(provider=choice.provider, model=choice.model)
    if not breaker.allow(choice.provider):
        usage.error = "circuit_open"
        raise LLMCallFailed("circuit_open", usage)
    attempts = 1 + max(0, settings.LLM_MAX_RETRIES)
    last_error = "error"
    for attempt in range(attempts):
        started = time.perf_counter()
        try:
            result = await asyncio.wait_for(runnable.ainvoke(messages), timeout=settings.LLM_TIMEOUT_SECONDS)
        except TimeoutError:
            last_error = "timeout"
        except _NOT_RETRIED as exc:
            usage.latency_s += time.perf_counter() - started
            usage.calls += 1
            breaker.failure(choice.provider)
            usage.error = f"invalid:{type(exc).__name__}"
            raise LLMCallFailed(usage.error, usage) from exc
        except Exception as exc:  # noqa: BLE001 - any client error (network, auth, rate limit) means "fall back"
            last_error = type(exc).__name__
            logger.warning(
                "LLM call failed", extra={"provider": choice.provider, "attempt": attempt, "error": last_error}
            )
        else:
            usage.latency_s += time.perf_counter() - started
            usage.calls += 1
            raw = result.get("raw") if isinstance(result, dict) else result
            input_tokens, output_tokens = usage_from_message(raw)
            usage.input_tokens += input_tokens
            usage.output_tokens += output_tokens
            usage.cost_usd += cost_usd(model=choice.model, input_tokens=input_tokens, output_tokens=output_tokens)
            breaker.success(choice.provider)
            return result, usage
        usage.latency_s += time.perf_counter() - started
        usage.calls += 1
        breaker.failure(choice.provider)
        if not breaker.allow(choice.provider):
            break
    usage.error = last_error
    raise LLMCallFailed(last_error, usage)


async def llm_astream(model: Any, messages: list, *, choice: ProviderChoice, usage: LLMUsage) -> AsyncIterator[str]:
    """The model's reply as it is generated (text pieces), with the breaker, a timeout on every wait, and retries
    only before the first piece (once text has reached the user it cannot be taken back). Tokens and cost are
    added to `usage` from the final chunk's usage metadata. Raises `LLMCallFailed` when nothing came."""
    if not breaker.allow(choice.provider):
        usage.error = "circuit_open"
        raise LLMCallFailed("circuit_open", usage)
    attempts = 1 + max(0, settings.LLM_MAX_RETRIES)
    last_error = "error"
    for attempt in range(attempts):
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
                chunk_in, chunk_out = usage_from_message(chunk)
                input_tokens, output_tokens = max(input_tokens, chunk_in), max(output_tokens, chunk_out)
                text = chunk.content if isinstance(chunk.content, str) else ""
                if text:
                    produced = True
                    yield text
        except TimeoutError:
            last_error = "timeout"
        except Exception as exc:  # noqa: BLE001 - any client error (network, auth, rate limit) means "fall back"
            last_error = type(exc).__name__
            logger.warning(
                "LLM stream failed", extra={"provider": choice.provider, "attempt": attempt, "error": last_error}
            )
        else:
            usage.latency_s += time.perf_counter() - started
            usage.calls += 1
            usage.input_tokens += input_tokens
            usage.output_tokens += output_tokens
            usage.cost_usd += cost_usd(model=choice.model, input_tokens=input_tokens, output_tokens=output_tokens)
            breaker.success(choice.provider)
            return
        finally:
            with contextlib.suppress(Exception):
                await stream.aclose()
        usage.latency_s += time.perf_counter() - started
        usage.calls += 1
        breaker.failure(choice.provider)
        if produced or not breaker.allow(choice.provider):
            break
    usage.error = last_error
    raise LLMCallFailed(last_error, usage)
