"""Health of the three services the product cannot run without."""

import threading
import time

from django.conf import settings
from django.db import connection
from django_redis import get_redis_connection


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_redis() -> None:
    get_redis_connection("default").ping()


def _check_broker() -> None:
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=0)


CHECKS = {"database": _check_database, "redis": _check_redis, "broker": _check_broker}
# An AMQP connection costs a TCP and an AMQP handshake (and a login on the broker): load balancers
# polling /healthz every second must not open one each time. The broker's answer, up or down, is
# kept per process for HEALTH_BROKER_CACHE_SECONDS.
_CACHED = {"broker"}
_cache: dict[tuple[str, str], tuple[float, dict]] = {}
_cache_lock = threading.Lock()


def _run(check) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure means the service is down
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def _cached_run(name: str, check) -> dict:
    ttl = settings.HEALTH_BROKER_CACHE_SECONDS
    key = (name, settings.CELERY_BROKER_URL)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and now - hit[0] < ttl:
        return {**hit[1], "age_s": round(now - hit[0], 1)}
    result = _run(check)
    with _cache_lock:
        _cache[key] = (time.monotonic(), result)
    return result


def services_status() -> dict[str, dict]:
    """Run every check; each reports ok with its latency, or the kind of failure (never its text)."""
    return {name: _cached_run(name, check) if name in _CACHED else _run(check) for name, check in CHECKS.items()}
