"""Health of the three services the product cannot run without."""

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


def services_status() -> dict[str, dict]:
    """Run every check; each reports ok with its latency, or the kind of failure (never its text)."""
    results = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means the service is down
            results[name] = {"ok": False, "error": type(exc).__name__}
        else:
            results[name] = {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
    return results
