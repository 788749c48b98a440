"""Celery and Django signal handlers: task run time and failures, errors by type, log context in tasks."""

from __future__ import annotations

import logging
import time

from celery import signals as celery_signals
from django.core.signals import got_request_exception, request_finished

from analytics import metrics
from escape_ai.exceptions import api_error_unhandled, database_busy_signal
from escape_ai.logging import chat_session_id_var, request_id_var, user_id_var

logger = logging.getLogger(__name__)

_CONTEXT_HEADERS = {"request_id": request_id_var, "user_id": user_id_var, "chat_session_id": chat_session_id_var}
_started: dict[str, tuple[float, list]] = {}


def _publish_context(headers=None, **kwargs):
    # The request/user/chat session that queued a task follows it into the worker's log lines.
    if headers is None:
        return
    for name, var in _CONTEXT_HEADERS.items():
        value = var.get()
        if value is not None and name not in headers:
            headers[name] = value


def _task_prerun(task_id=None, task=None, **kwargs):
    tokens = []
    request = getattr(task, "request", None)
    for name, var in _CONTEXT_HEADERS.items():
        value = getattr(request, name, None) if request is not None else None
        tokens.append(var.set(value))
    _started[task_id] = (time.perf_counter(), tokens)


def _task_postrun(task_id=None, task=None, state=None, **kwargs):
    started = _started.pop(task_id, None)
    if started is None:
        return
    began, tokens = started
    metrics.CELERY_TASK_SECONDS.labels(getattr(task, "name", "unknown"), state or "UNKNOWN").observe(
        time.perf_counter() - began
    )
    for (_name, var), token in zip(_CONTEXT_HEADERS.items(), tokens, strict=True):
        try:
            var.reset(token)
        except ValueError:  # set in another context (a different thread)
            var.set(None)


def _task_failure(sender=None, exception=None, **kwargs):
    task_name = getattr(sender, "name", "unknown")
    error_type = type(exception).__name__ if exception is not None else "unknown"
    metrics.CELERY_TASK_FAILURES.labels(task_name, error_type).inc()
    metrics.ERRORS.labels(error_type, "celery").inc()


def _worker_ready(sender=None, **kwargs):
    from django.conf import settings

    from analytics.queues import dead_letter_queue_declare

    if settings.ANALYTICS_WORKER_METRICS_PORT:
        # Where the worker does not share PROMETHEUS_MULTIPROC_DIR with a web process (separate
        # containers), it serves its own processes' metrics for Prometheus to scrape.
        from prometheus_client import CollectorRegistry, multiprocess, start_http_server

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        start_http_server(
            settings.ANALYTICS_WORKER_METRICS_PORT, addr=settings.ANALYTICS_WORKER_METRICS_ADDRESS, registry=registry
        )

    try:
        with sender.app.connection_for_write() as connection:
            dead_letter_queue_declare(connection)
    except Exception:
        logger.exception("could not declare the events dead-letter queue")


def _request_exception(sender=None, request=None, **kwargs):
    import sys

    unhandled_error_record(exc=sys.exc_info()[1], request=request)


def _database_busy(sender=None, source="http", **kwargs):
    metrics.DB_POOL_EXHAUSTED.labels(source).inc()


def _pool_observe(sender=None, **kwargs):
    # After every request: how full this process's pool is (a dict built under the pool's lock; no I/O).
    from django.db import connections

    pool = connections["default"].pool
    if pool is not None:
        metrics.db_pool_observe(pool.get_stats())


def _api_error_unhandled(sender=None, exc=None, request=None, **kwargs):
    unhandled_error_record(exc=exc, request=request)


def unhandled_error_record(*, exc: BaseException | None, request) -> None:
    """Count an unhandled error by type and record an `error` event (a view crashed; the user saw a 500)."""
    error_type = type(exc).__name__ if exc is not None else "unknown"
    metrics.ERRORS.labels(error_type, "http").inc()
    from analytics.services import EventRejected, event_record

    user = getattr(request, "user", None)
    try:
        event_record(
            type="error",
            user_id=user.pk if user is not None and user.is_authenticated else None,
            payload={"error_type": error_type, "source": "http", "detail": getattr(request, "path", "")[:200]},
        )
    except EventRejected:
        logger.warning("could not record the error event")
    except Exception:
        logger.exception("could not record the error event")


def connect() -> None:
    celery_signals.before_task_publish.connect(_publish_context, weak=False, dispatch_uid="analytics_publish_ctx")
    celery_signals.task_prerun.connect(_task_prerun, weak=False, dispatch_uid="analytics_prerun")
    celery_signals.task_postrun.connect(_task_postrun, weak=False, dispatch_uid="analytics_postrun")
    celery_signals.task_failure.connect(_task_failure, weak=False, dispatch_uid="analytics_failure")
    celery_signals.worker_ready.connect(_worker_ready, weak=False, dispatch_uid="analytics_worker_ready")
    got_request_exception.connect(_request_exception, weak=False, dispatch_uid="analytics_request_exception")
    api_error_unhandled.connect(_api_error_unhandled, weak=False, dispatch_uid="analytics_api_error_unhandled")
    database_busy_signal.connect(_database_busy, weak=False, dispatch_uid="analytics_database_busy")
    request_finished.connect(_pool_observe, weak=False, dispatch_uid="analytics_pool_observe")
