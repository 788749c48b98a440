"""RabbitMQ topology for events: a quorum queue with a delivery limit and a dead-letter queue.

Quorum queues count deliveries (`x-delivery-limit`, RabbitMQ >= 3.8). A message returned more often
than the limit (a task that keeps failing, or a worker that keeps dying on it) is dead-lettered into
`<events queue>.dead` instead of looping. Names derive from the Celery default queue, so each
checkout's tests get their own.
"""

from __future__ import annotations

from django.conf import settings
from kombu import Exchange, Queue


def events_queue_name() -> str:
    return settings.ANALYTICS_EVENTS_QUEUE or f"{settings.CELERY_TASK_DEFAULT_QUEUE}.events"


def dead_letter_queue_name() -> str:
    return f"{events_queue_name()}.dead"


def events_queue() -> Queue:
    name = events_queue_name()
    return Queue(
        name,
        Exchange(name, type="direct"),
        routing_key=name,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": settings.ANALYTICS_DELIVERY_LIMIT,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": dead_letter_queue_name(),
        },
    )


def dead_letter_queue() -> Queue:
    name = dead_letter_queue_name()
    return Queue(name, Exchange("", type="direct"), routing_key=name, queue_arguments={"x-queue-type": "quorum"})


def celery_configure(app) -> None:
    """Called when Celery's configuration is loaded.

    Analytics tasks are routed to the events queue (a Queue object, so whoever publishes declares it
    with its quorum arguments). Only the dedicated events worker (ANALYTICS_EVENTS_WORKER=true) lists
    it in its queues: Celery switches a worker that knows any quorum queue to per-consumer QoS and
    native delayed delivery, which would change how the other apps' ETA/countdown tasks run.
    """
    default = settings.CELERY_TASK_DEFAULT_QUEUE
    events = events_queue()
    if settings.ANALYTICS_EVENTS_WORKER:
        app.conf.task_queues = (events,)
    else:
        app.conf.task_queues = (Queue(default, Exchange(default, type="direct"), routing_key=default),)
    routes = dict(app.conf.task_routes or {})
    routes["analytics.*"] = {"queue": events, "routing_key": events.routing_key}
    app.conf.task_routes = routes


def dead_letter_queue_declare(connection) -> None:
    """The dead-letter queue must exist before a message is dead-lettered, or RabbitMQ drops it."""
    with connection.channel() as channel:
        dead_letter_queue()(channel).declare()
