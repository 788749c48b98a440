"""Recording events (the one way in) and flushing the buffer into PostgreSQL."""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from analytics import buffer, metrics
from analytics.ingest import events_insert
from analytics.schema import CRITICAL_TYPES, EventRejected, document_parse, event_document
from escape_ai.logging import chat_session_id_var

__all__ = ["EventRejected", "event_record", "event_store", "events_flush"]

logger = logging.getLogger(__name__)

# Within a batch, recommendations are stored before the clicks on them, so a click finds the
# region and genres of the recommendation it came from.
_TYPE_ORDER = {"recommendation.shown": 0, "recommendation.clicked": 2}


def event_record(
    *,
    type: str,
    user_id: int | None = None,
    chat_session_id: int | None = None,
    payload: dict | None = None,
    event_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
) -> uuid.UUID:
    """Validate and record one event; return its id. Raises `EventRejected` for a malformed event.

    Critical types are published to RabbitMQ (publisher confirms) and stored by a worker at once;
    the others are appended to the Redis buffer that beat flushes. Either happens after the current
    transaction commits, so a rolled-back action leaves no event. When neither the broker nor the
    buffer's Redis can take it, the event goes straight into PostgreSQL with the flush's idempotent
    insert. Nothing after the commit raises: a committed action never turns into an error because of
    its event. `chat_session_id` defaults to the chat session of the current context
    (`escape_ai.logging.chat_session_id_var`).
    """
    event_id = event_id or uuid.uuid4()
    if chat_session_id is None:
        chat_session_id = chat_session_id_var.get()
    try:
        document = event_document(
            type=type,
            event_id=event_id,
            user_id=user_id,
            chat_session_id=chat_session_id,
            payload=payload,
            occurred_at=occurred_at or timezone.now(),
            max_payload_bytes=settings.ANALYTICS_MAX_PAYLOAD_BYTES,
        )
    except EventRejected as exc:
        metrics.EVENTS_REJECTED.labels(exc.reason).inc()
        logger.warning("event rejected", extra={"event_type": str(type)[:50], "reason": exc.reason})
        raise
    # robust: should anything still raise after the commit, it is logged, never the action's error.
    if type in CRITICAL_TYPES:
        transaction.on_commit(functools.partial(_publish, document, type), robust=True)
    else:
        transaction.on_commit(functools.partial(_buffer, document, type), robust=True)
    return event_id


_recorded_counters: dict[tuple[str, str], object] = {}


def _count_recorded(type_: str, route: str) -> None:
    # The labelled child is looked up once per (type, route): this runs once per event.
    counter = _recorded_counters.get((type_, route))
    if counter is None:
        counter = _recorded_counters[(type_, route)] = metrics.EVENTS_RECORDED.labels(type_, route)
    counter.inc()


def _buffer(document: str, type_: str) -> None:
    try:
        buffer.buffer_append(document)
    except Exception:  # noqa: BLE001 - the buffer's Redis is down or unreachable: store the event now
        logger.warning("event buffer unavailable, event stored directly", extra={"event_type": type_})
        _store_direct(document, type_)
        return
    _count_recorded(type_, "buffered")


def _store_direct(document: str, type_: str) -> None:
    """The flush's idempotent insert for one event, when it cannot wait in the buffer. Never raises."""
    try:
        inserted = events_insert(documents=[document])
    except Exception:
        logger.exception("event lost: its buffer and the database are both unavailable", extra={"event_type": type_})
        metrics.EVENTS_REJECTED.labels("unavailable").inc()
        return
    _count_recorded(type_, "direct")
    if inserted:
        metrics.EVENTS_STORED.labels(type_).inc()


def _publish(document: str, type_: str) -> None:
    from analytics.tasks import event_store_task

    try:
        event_store_task.apply_async(
            args=[document], retry=True, retry_policy={"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2}
        )
    except Exception:  # noqa: BLE001 - the broker is down: keep the event rather than lose it
        logger.warning("broker unavailable, critical event buffered instead", extra={"event_type": type_})
        try:
            buffer.buffer_append(document)
        except Exception:  # noqa: BLE001 - and Redis too: the database takes it now
            logger.warning("broker and event buffer unavailable, critical event stored directly")
            _store_direct(document, type_)
            return
        _count_recorded(type_, "fallback_buffered")
        return
    _count_recorded(type_, "published")


class EventStoreFailed(Exception):
    """The database refused a well-formed event; the broker should redeliver it (and dead-letter it at the limit)."""


def event_store(*, document: str) -> bool:
    """Store one critical event from the broker; return False when it was already stored.

    Raises `EventRejected` for a malformed document and `EventStoreFailed` when the database
    refused it, so the task can dead-letter or requeue the message.
    """
    try:
        parsed = document_parse(document, max_payload_bytes=settings.ANALYTICS_MAX_PAYLOAD_BYTES)
    except EventRejected as exc:
        metrics.EVENTS_REJECTED.labels(exc.reason).inc()
        raise
    try:
        inserted = events_insert(documents=[parsed["json"]])
    except (DataError, IntegrityError) as exc:
        raise EventStoreFailed(type(exc).__name__) from exc
    if inserted:
        metrics.EVENTS_STORED.labels(parsed["type"]).inc()
    else:
        metrics.EVENTS_DUPLICATES.labels("critical").inc()
    return bool(inserted)


def _store_group(type_: str, documents: list[str], raws: list[bytes]) -> int:
    """Store one type's documents in one statement; on a data error, one by one so a bad one is set aside."""
    try:
        return events_insert(documents=documents)
    except (DataError, IntegrityError):
        logger.warning("batch refused by the database, storing one by one", extra={"event_type": type_})
    inserted = 0
    for document, raw in zip(documents, raws, strict=True):
        try:
            inserted += events_insert(documents=[document])
        except (DataError, IntegrityError):
            buffer.rejected_append(raw)
            metrics.EVENTS_REJECTED.labels("refused_by_database").inc()
    return inserted


def _process(items: list[bytes], stats: dict) -> None:
    groups: dict[str, tuple[list[str], list[bytes]]] = defaultdict(lambda: ([], []))
    for raw in items:
        try:
            parsed = document_parse(raw, max_payload_bytes=settings.ANALYTICS_MAX_PAYLOAD_BYTES)
        except EventRejected as exc:
            buffer.rejected_append(raw)
            metrics.EVENTS_REJECTED.labels(exc.reason).inc()
            stats["rejected"] += 1
            continue
        documents, raws = groups[parsed["type"]]
        documents.append(parsed["json"])
        raws.append(raw)
    for type_ in sorted(groups, key=lambda name: (_TYPE_ORDER.get(name, 1), name)):
        documents, raws = groups[type_]
        inserted = _store_group(type_, documents, raws)
        stats["inserted"] += inserted
        stats["duplicates"] += len(documents) - inserted
        metrics.EVENTS_FLUSHED.labels(type_).inc(inserted)
        if len(documents) > inserted:
            metrics.EVENTS_DUPLICATES.labels("flush").inc(len(documents) - inserted)
    # Committed above. A test-only pause here (settings.ANALYTICS_FLUSH_PAUSE_SECONDS) lets a test
    # kill the worker in the worst place: rows stored, batch still in the processing list.
    if settings.ANALYTICS_FLUSH_PAUSE_SECONDS:
        time.sleep(settings.ANALYTICS_FLUSH_PAUSE_SECONDS)
    buffer.batch_ack(items)


def events_flush(*, owner: str | None = None, max_batches: int | None = None) -> dict:
    """Move the buffer into the `Event` table in batches; return counts.

    Leftovers of a flush that died (its processing list) are stored first. One flush runs at a
    time (a Redis lock); a redelivered flush task (same `owner`, the task id) takes its own lock back.
    """
    owner = owner or uuid.uuid4().hex
    lock_ttl = settings.ANALYTICS_FLUSH_LOCK_SECONDS
    stats = {"recovered": 0, "inserted": 0, "duplicates": 0, "rejected": 0, "batches": 0, "busy": False}
    if not buffer.flush_lock_take(owner=owner, ttl_seconds=lock_ttl):
        stats["busy"] = True
        return stats
    started = time.perf_counter()
    size = settings.ANALYTICS_FLUSH_BATCH_SIZE
    try:
        while items := buffer.leftovers_read(size=size):
            stats["recovered"] += len(items)
            _process(items, stats)
            stats["batches"] += 1
            buffer.flush_lock_take(owner=owner, ttl_seconds=lock_ttl)
        while max_batches is None or stats["batches"] < max_batches:
            items = buffer.batch_claim(size=size)
            if not items:
                break
            _process(items, stats)
            stats["batches"] += 1
            buffer.flush_lock_take(owner=owner, ttl_seconds=lock_ttl)
    finally:
        buffer.flush_lock_release(owner=owner)
        metrics.EVENTS_FLUSH_SECONDS.observe(time.perf_counter() - started)
        metrics.EVENTS_BUFFER_SIZE.set(buffer.buffer_length())
    if stats["recovered"]:
        logger.info("flush recovered a previous flush's batch", extra={"recovered": stats["recovered"]})
    return stats
