"""Helpers for analytics tests: polling, reading metric values as /metrics would report them, and storing a
hand-placed event."""

from __future__ import annotations

import time
import uuid
from datetime import datetime

from django.conf import settings
from prometheus_client import CollectorRegistry, multiprocess


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def metric_value(sample_name: str, **labels: str) -> float:
    """Sum of the samples named `sample_name` whose labels include `labels`, over every process."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    total = 0.0
    for family in registry.collect():
        for sample in family.samples:
            if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def event_store(type_: str, user_id: int, when: datetime, payload: dict) -> None:
    """One event written straight to the event store, as the worker would, at a chosen time."""
    from analytics.ingest import events_insert
    from analytics.schema import event_document

    document = event_document(
        type=type_,
        event_id=uuid.uuid4(),
        user_id=user_id,
        chat_session_id=None,
        payload=payload,
        occurred_at=when,
        max_payload_bytes=settings.ANALYTICS_MAX_PAYLOAD_BYTES,
    )
    assert events_insert(documents=[document]) == 1
