"""Every Prometheus metric of the application, the `@monitored` decorator and the helpers other apps call.

Metrics live in files under PROMETHEUS_MULTIPROC_DIR (multiprocess mode), so `/metrics` on any web
process reports the sums over all web and Celery processes. Nothing else in the project defines
Prometheus metrics.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from prometheus_client import Counter, Gauge, Histogram

logger = logging.getLogger(__name__)

# Settings put the directory in the environment (prometheus_client reads it); it is made here, before the
# first metric below opens its file in it.
Path(settings.PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

# --- generic operations (the @monitored decorator) ---
OPERATION_SECONDS = Histogram(
    "escape_ai_operation_seconds", "Duration of monitored operations", ["operation"], buckets=_LATENCY_BUCKETS
)
OPERATION_ERRORS = Counter(
    "escape_ai_operation_errors_total", "Monitored operations that raised", ["operation", "error_type"]
)

# --- chat and search ---
CHAT_MESSAGES = Counter("escape_ai_chat_messages_total", "Chat messages answered, by intent", ["intent"])
CHAT_REPLY_SECONDS = Histogram(
    "escape_ai_chat_reply_seconds", "Time to answer one chat message", buckets=_LATENCY_BUCKETS
)
SEARCH_SECONDS = Histogram(
    "escape_ai_search_seconds", "Search latency by leg (keyword, semantic, hybrid)", ["leg"], buckets=_LATENCY_BUCKETS
)
RECOMMENDATIONS = Counter("escape_ai_recommendations_total", "Rooms recommended, by kind (shown, clicked)", ["kind"])
# Cost per successful recommendation (Grafana: LLM cost ÷ successes, per provider/model). A success is counted
# when it happens (a booking click, a logged play), credited to the model of the recommendation it followed.
RECOMMENDATIONS_SHOWN_BY_MODEL = Counter(
    "escape_ai_recommendations_shown_by_model_total",
    "Rooms recommended in chat replies, by the LLM provider and model of the reply",
    ["provider", "model"],
)
RECOMMENDATION_SUCCESSES = Counter(
    "escape_ai_recommendation_successes_total",
    "Recommendations that succeeded (first booking click or logged play), by provider, model and signal",
    ["provider", "model", "signal"],
)
BOOKING_CLICKS = Counter("escape_ai_booking_clicks_total", "Booking links followed, by where from", ["source"])

# --- LLM ---
LLM_CALLS = Counter("escape_ai_llm_calls_total", "LLM calls", ["provider", "model", "outcome"])
LLM_TOKENS = Counter("escape_ai_llm_tokens_total", "LLM tokens", ["provider", "model", "direction"])
LLM_COST = Counter("escape_ai_llm_cost_usd_total", "LLM cost in US dollars", ["provider", "model"])
LLM_SECONDS = Histogram(
    "escape_ai_llm_latency_seconds", "LLM call latency", ["provider", "model"], buckets=_LATENCY_BUCKETS
)
LLM_ERRORS = Counter("escape_ai_llm_errors_total", "Failed LLM calls", ["provider", "model", "error_type"])
LLM_FALLBACKS = Counter("escape_ai_llm_fallbacks_total", "Answers given by the fallback", ["provider", "model"])

# --- events ---
EVENTS_RECORDED = Counter("escape_ai_events_recorded_total", "Events accepted by event_record", ["type", "route"])
EVENTS_REJECTED = Counter("escape_ai_events_rejected_total", "Malformed events refused", ["reason"])
EVENTS_FLUSHED = Counter("escape_ai_events_flushed_total", "Buffered events stored by a flush", ["type"])
EVENTS_STORED = Counter("escape_ai_events_stored_total", "Critical events stored by their task", ["type"])
EVENTS_DUPLICATES = Counter("escape_ai_events_duplicates_total", "Events already stored (skipped)", ["path"])
EVENTS_DEAD_LETTERED = Counter(
    "escape_ai_events_dead_lettered_total", "Event messages sent to the dead-letter queue", ["reason"]
)
EVENTS_BUFFER_SIZE = Gauge(
    "escape_ai_events_buffer_size", "Events waiting in the Redis buffer", multiprocess_mode="mostrecent"
)
EVENTS_FLUSH_SECONDS = Histogram(
    "escape_ai_events_flush_seconds", "Duration of one buffer flush", buckets=_LATENCY_BUCKETS
)

# --- Celery and errors ---
CELERY_TASK_SECONDS = Histogram(
    "escape_ai_celery_task_seconds", "Celery task run time", ["task", "state"], buckets=_LATENCY_BUCKETS
)
CELERY_TASK_FAILURES = Counter(
    "escape_ai_celery_task_failures_total", "Celery tasks that failed", ["task", "error_type"]
)
ERRORS = Counter("escape_ai_errors_total", "Errors by type and where they happened", ["error_type", "source"])

# --- capacity: the database connection pool of each web process ---
DB_POOL_CONNECTIONS = Gauge(
    "escape_ai_db_pool_connections",
    "Pooled database connections by state (in_use, idle, max) summed over live processes",
    ["state"],
    multiprocess_mode="livesum",
)
DB_POOL_WAITING = Gauge(
    "escape_ai_db_pool_waiting", "Requests waiting for a pooled connection", multiprocess_mode="livesum"
)
DB_POOL_EXHAUSTED = Counter(
    "escape_ai_db_pool_exhausted_total",
    "Requests and chat turns answered 503 because every pooled connection stayed in use",
    ["source"],
)

# --- JSONL: one line per observation, in a file per day ---
_jsonl_fd: tuple[int, str, int] | None = None  # (pid, path, fd): reopened after fork, daily and on a new dir


def _jsonl_path(day: str) -> Path:
    return Path(settings.METRICS_JSONL_DIR) / f"{day}.jsonl"


def jsonl_write(record: dict) -> None:
    """Append one JSON line. O_APPEND + one write() per line keeps lines whole with many writers."""
    global _jsonl_fd
    if not settings.METRICS_JSONL_ENABLED:
        return
    now = datetime.now(UTC)
    line = json.dumps(
        {"time": now.isoformat(timespec="milliseconds"), "pid": os.getpid(), **record}, ensure_ascii=False, default=str
    )
    data = (line.replace("\n", " ") + "\n").encode()
    try:
        pid, path = os.getpid(), _jsonl_path(now.date().isoformat())
        if _jsonl_fd is None or _jsonl_fd[:2] != (pid, str(path)):
            if _jsonl_fd is not None and _jsonl_fd[0] == pid:
                os.close(_jsonl_fd[2])
            path.parent.mkdir(parents=True, exist_ok=True)
            _jsonl_fd = (pid, str(path), os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644))
        os.write(_jsonl_fd[2], data)
    except OSError:
        # Metrics must never break the operation they measure.
        logger.warning("metrics JSONL write failed", exc_info=True)


def _observe(name: str, seconds: float, error: BaseException | None) -> None:
    OPERATION_SECONDS.labels(name).observe(seconds)
    if name == "chat.reply":
        CHAT_REPLY_SECONDS.observe(seconds)
    record = {"metric": name, "seconds": round(seconds, 6), "ok": error is None}
    if error is not None:
        error_type = type(error).__name__
        OPERATION_ERRORS.labels(name, error_type).inc()
        ERRORS.labels(error_type, name).inc()
        record["error_type"] = error_type
    jsonl_write(record)


def monitored(name: str):
    """Measure a sync or async function: latency histogram, error count, one JSONL line per call.

    `@monitored("chat.reply")` also feeds `escape_ai_chat_reply_seconds`. Exceptions propagate unchanged.
    """

    def decorate(func):
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args, **kwargs):
                started = time.perf_counter()
                try:
                    result = await func(*args, **kwargs)
                except BaseException as exc:
                    _observe(name, time.perf_counter() - started, exc)
                    raise
                _observe(name, time.perf_counter() - started, None)
                return result

            return async_wrapper

        if inspect.isasyncgenfunction(func):

            @functools.wraps(func)
            async def async_gen_wrapper(*args, **kwargs):
                started = time.perf_counter()
                try:
                    async for item in func(*args, **kwargs):
                        yield item
                except BaseException as exc:
                    _observe(name, time.perf_counter() - started, exc)
                    raise
                _observe(name, time.perf_counter() - started, None)

            return async_gen_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:
                _observe(name, time.perf_counter() - started, exc)
                raise
            _observe(name, time.perf_counter() - started, None)
            return result

        return wrapper

    return decorate


# --- helpers other apps call ---
def chat_message_observe(intent: str | None) -> None:
    CHAT_MESSAGES.labels(intent or "unknown").inc()
    jsonl_write({"metric": "chat.message", "intent": intent or "unknown"})


def llm_call_observe(
    provider: str,
    model: str,
    input_tokens: int = 0,
    output_tokens: int = 0,
    cost_usd: float = 0.0,
    latency_s: float | None = None,
    error: str | None = None,
    fallback: bool = False,
) -> None:
    """One LLM call. `error` is the exception's type name when it failed; `fallback` when another provider answered."""
    provider, model = provider or "unknown", model or "unknown"
    LLM_CALLS.labels(provider, model, "error" if error else "ok").inc()
    # Zero increments too: a provider that costs nothing (the offline `local` one) still has its series,
    # so cost and token panels show it at 0 instead of nothing.
    LLM_TOKENS.labels(provider, model, "input").inc(input_tokens)
    LLM_TOKENS.labels(provider, model, "output").inc(output_tokens)
    LLM_COST.labels(provider, model).inc(cost_usd)
    if latency_s is not None:
        LLM_SECONDS.labels(provider, model).observe(latency_s)
    if error:
        LLM_ERRORS.labels(provider, model, error).inc()
        ERRORS.labels(error, "llm").inc()
    if fallback:
        LLM_FALLBACKS.labels(provider, model).inc()
    jsonl_write(
        {
            "metric": "llm.call",
            "provider": provider,
            "model": model,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cost_usd": cost_usd,
            "seconds": latency_s,
            "error": error,
            "fallback": fallback,
        }
    )


def search_observe(leg: str, latency_s: float) -> None:
    """One search leg (`keyword`, `semantic`, `hybrid`, ...) and its latency in seconds."""
    SEARCH_SECONDS.labels(leg).observe(latency_s)
    jsonl_write({"metric": "search", "leg": leg, "seconds": round(latency_s, 6)})


def recommendation_observe(kind: str, count: int = 1) -> None:
    """`kind` is "shown" or "clicked"; `count` rooms."""
    if kind not in {"shown", "clicked"}:
        raise ValueError(f"unknown recommendation kind {kind!r}")
    if count:
        RECOMMENDATIONS.labels(kind).inc(count)
    jsonl_write({"metric": "recommendation", "kind": kind, "count": count})


def recommendation_shown_observe(provider: str, model: str, count: int) -> None:
    """`count` rooms recommended in one reply written by provider/model."""
    provider, model = provider or "unknown", model or "unknown"
    # Zero increments too: every model that answers has its series, so the ratio panels show it.
    RECOMMENDATIONS_SHOWN_BY_MODEL.labels(provider, model).inc(count)


def recommendation_success_observe(provider: str, model: str, signal: str) -> None:
    """A recommendation succeeded for the first time; `signal` is "booking" or "play"."""
    if signal not in {"booking", "play"}:
        raise ValueError(f"unknown success signal {signal!r}")
    provider, model = provider or "unknown", model or "unknown"
    RECOMMENDATION_SUCCESSES.labels(provider, model, signal).inc()
    jsonl_write({"metric": "recommendation.success", "provider": provider, "model": model, "signal": signal})


def booking_click_observe(source: str) -> None:
    """One booking link followed: `source` is "chat" (a recommendation's card) or "page" (no recommendation)."""
    BOOKING_CLICKS.labels(source).inc()


def db_pool_observe(stats: dict) -> None:
    """The pool's numbers as psycopg_pool's `get_stats()` reports them."""
    size, available = stats.get("pool_size", 0), stats.get("pool_available", 0)
    DB_POOL_CONNECTIONS.labels("in_use").set(max(0, size - available))
    DB_POOL_CONNECTIONS.labels("idle").set(available)
    DB_POOL_CONNECTIONS.labels("max").set(stats.get("pool_max", 0))
    DB_POOL_WAITING.set(stats.get("requests_waiting", 0))


def error_observe(error_type: str, source: str) -> None:
    ERRORS.labels(error_type, source).inc()
