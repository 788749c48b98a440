from __future__ import annotations

import logging
import time

from celery import shared_task
from celery.exceptions import Reject
from django.conf import settings

from analytics import metrics
from analytics.schema import EventRejected
from analytics.services import event_store, events_flush

logger = logging.getLogger(__name__)


def _delivery_count(request) -> int:
    # RabbitMQ quorum queues put the number of earlier deliveries in the `x-delivery-count` header.
    headers = getattr(request, "headers", None) or {}
    value = headers.get("x-delivery-count", getattr(request, "x-delivery-count", 0)) or 0
    return int(value)


@shared_task(bind=True, name="analytics.event_store", acks_late=True, reject_on_worker_lost=True)
def event_store_task(self, document: str) -> bool:
    try:
        stored = event_store(document=document)
    except EventRejected as exc:
        metrics.EVENTS_DEAD_LETTERED.labels("malformed").inc()
        logger.error("malformed critical event dead-lettered", extra={"reason": exc.reason})
        raise Reject(exc.reason, requeue=False) from exc
    except Exception as exc:
        # Refused by the database, database down, or a bug: never acknowledge it as done. Return it to
        # the queue (after a short pause, so an outage is not a hot loop); at the queue's delivery
        # limit RabbitMQ dead-letters it, and `analytics_dead_letters --requeue` replays it later.
        deliveries = _delivery_count(self.request)
        if deliveries >= settings.ANALYTICS_DELIVERY_LIMIT:
            metrics.EVENTS_DEAD_LETTERED.labels("delivery_limit").inc()
        logger.warning(
            "critical event not stored, returned to the queue",
            extra={"error": type(exc).__name__, "earlier_deliveries": deliveries},
        )
        time.sleep(settings.ANALYTICS_REDELIVERY_DELAY_SECONDS * (deliveries + 1))
        raise Reject(type(exc).__name__, requeue=True) from exc
    # Carries the request id, user id and chat session id of the request that recorded the event.
    logger.info("critical event stored", extra={"new": stored})
    return stored


@shared_task(
    bind=True,
    name="analytics.events_flush",
    acks_late=True,
    reject_on_worker_lost=True,
    expires=None,
)
def events_flush_task(self) -> dict:
    # The task id owns the flush lock: after a worker dies, the redelivered task (same id) resumes at once.
    return events_flush(owner=self.request.id)
