"""The event pipeline through a real Celery worker process, RabbitMQ (quorum queue + DLQ) and Redis.

One worker serves the whole module; the SIGKILL test replaces it with a slowed-down one, kills that
with SIGKILL in the middle of a flush and starts a fresh one.
"""

import json
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from analytics import buffer
from analytics.models import Event, EventRollup
from analytics.queues import dead_letter_queue_name
from analytics.services import event_record
from analytics.tasks import event_store_task, events_flush_task
from analytics.tests.support import metric_value, wait_for
from escape_ai.celery import app
from escape_ai.logging import chat_session_id_var, request_id_var


def _log_line(worker, request_id: str) -> dict | None:
    for raw in worker.log_path.read_text(errors="replace").splitlines():
        if request_id in raw and raw.startswith("{"):
            line = json.loads(raw)
            if line.get("request_id") == request_id:
                return line
    return None


def _dead_letters() -> list:
    """Drain the dead-letter queue, returning (headers, body) of each message."""
    messages = []
    with app.connection_for_write() as conn, conn.channel() as channel:
        while (message := channel.basic_get(dead_letter_queue_name(), no_ack=True)) is not None:
            messages.append((message.headers, message.body))
    return messages


def test_critical_event_is_stored_at_once_by_the_worker(worker, user):
    request_id = uuid.uuid4().hex
    tokens = (request_id_var.set(request_id), chat_session_id_var.set(77))
    try:
        event_id = event_record(type="user.logged_in", user_id=user.id)
    finally:
        request_id_var.reset(tokens[0])
        chat_session_id_var.reset(tokens[1])

    stored = wait_for(lambda: Event.objects.filter(event_id=event_id).first(), timeout=15)

    assert stored.type == "user.logged_in" and stored.user_id == user.id and stored.chat_session_id == 77
    # The worker's JSON log line carries the ids of the request that recorded the event.
    line = wait_for(lambda: _log_line(worker, request_id), timeout=10)
    assert line["message"] == "critical event stored" and line["chat_session_id"] == 77
    assert buffer.buffer_length() == 0
    # The worker's task run time reaches /metrics through the multiprocess directory (observed when the task
    # has returned, a moment after the row and the log line).
    wait_for(lambda: metric_value("escape_ai_celery_task_seconds_count", task="analytics.event_store") >= 1)


def test_register_and_login_publish_their_events(worker, api_client):
    response = api_client.post(
        "/auth/register",
        {"username": "sora", "email": "sora@example.com", "password": "Escape!2026"},
        format="json",
    )
    assert response.status_code == 201
    user_id = response.json()["user"]["id"]
    response = api_client.post("/auth/login", {"username": "sora", "password": "Escape!2026"}, format="json")
    assert response.status_code == 200

    wait_for(lambda: Event.objects.filter(user_id=user_id).count() == 2, timeout=15)
    assert sorted(Event.objects.filter(user_id=user_id).values_list("type", flat=True)) == [
        "user.logged_in",
        "user.registered",
    ]


def test_buffered_events_arrive_only_after_a_flush(worker, user):
    ids = [event_record(type="room.viewed", user_id=user.id, payload={"room_id": n}) for n in range(20)]
    assert buffer.buffer_length() == 20

    stats = events_flush_task.delay().get(timeout=30)

    assert stats["inserted"] == 20
    assert set(Event.objects.values_list("event_id", flat=True)) == set(ids)
    assert buffer.buffer_length() == 0 and buffer.processing_length() == 0


def test_worker_killed_mid_flush_then_restarted_stores_every_event_exactly_once(worker):
    # A worker that stores batches of 10 and then sleeps before releasing each batch from the
    # processing list: the kill lands at the worst moment (rows committed, batch not yet released).
    worker.stop()
    worker.start(ANALYTICS_FLUSH_BATCH_SIZE="10", ANALYTICS_FLUSH_PAUSE_SECONDS="60")
    ids = [event_record(type="search.performed", payload={"region": "홍대", "genres": ["추리"]}) for _ in range(35)]

    result = events_flush_task.delay()
    wait_for(lambda: Event.objects.count() == 10, timeout=20)
    assert buffer.processing_length() == 10 and buffer.buffer_length() == 25
    worker.kill()  # SIGKILL: no cleanup, no ack; RabbitMQ returns the flush task to the queue

    assert Event.objects.count() == 10
    worker.start()  # a normal worker receives the redelivered flush task (same task id)

    stats = result.get(timeout=30)
    assert stats["recovered"] == 10 and stats["duplicates"] == 10 and stats["inserted"] == 25
    stored = list(Event.objects.values_list("event_id", flat=True))
    assert len(stored) == 35 and set(stored) == set(ids)
    assert buffer.buffer_length() == 0 and buffer.processing_length() == 0
    # Counted once in the rollups too, though ten of them were inserted twice.
    assert EventRollup.objects.get(metric="events", key="search.performed").count == 35
    assert EventRollup.objects.get(metric="search.region", key="홍대").count == 35


@pytest.fixture
def database_refuses_poison():
    """A trigger standing for a row the database refuses every time (say, a constraint added later)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE OR REPLACE FUNCTION analytics_test_refuse() RETURNS trigger AS $$
            BEGIN
              IF NEW.payload->>'error_type' = 'Poison' THEN
                RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation';
              END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER analytics_test_refuse BEFORE INSERT ON analytics_event
              FOR EACH ROW EXECUTE FUNCTION analytics_test_refuse();
            """
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER analytics_test_refuse ON analytics_event; DROP FUNCTION analytics_test_refuse();")


def test_poison_message_is_dead_lettered_after_the_delivery_limit(worker, database_refuses_poison):
    _dead_letters()
    before = metric_value("escape_ai_events_dead_lettered_total", reason="delivery_limit")

    poison = event_record(type="error", payload={"error_type": "Poison", "source": "test"})
    healthy = event_record(type="error", payload={"error_type": "TimeoutError", "source": "test"})

    dead = wait_for(_dead_letters, timeout=30)
    assert len(dead) == 1
    headers, body = dead[0]
    assert str(poison) in (body.decode() if isinstance(body, bytes) else json.dumps(body))
    # RabbitMQ delivered it the first time plus once per allowed return, then dead-lettered it; the
    # task saw the last delivery coming (x-delivery-count == limit) and counted it.
    assert headers["x-first-death-reason"] == "delivery_limit"
    assert metric_value("escape_ai_events_dead_lettered_total", reason="delivery_limit") == before + 1
    # The poison did not block the queue: the event after it was stored; the poison was not.
    wait_for(lambda: Event.objects.filter(event_id=healthy).exists(), timeout=15)
    assert not Event.objects.filter(event_id=poison).exists()


def test_malformed_message_from_an_old_producer_is_dead_lettered_at_once(worker):
    _dead_letters()
    before = metric_value("escape_ai_events_rejected_total", reason="unknown_type")
    document = json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "type": "user.deleted",  # not a type this release knows
            "user_id": None,
            "chat_session_id": None,
            "occurred_at": timezone.now().isoformat(),
            "payload": {},
        }
    )

    event_store_task.apply_async(args=[document])

    dead = wait_for(_dead_letters, timeout=15)
    assert len(dead) == 1
    assert dead[0][0]["x-first-death-reason"] == "rejected"
    assert metric_value("escape_ai_events_rejected_total", reason="unknown_type") == before + 1
    assert not Event.objects.exists()


def test_dead_letters_can_be_counted_and_replayed_after_a_fix(worker, database_refuses_poison):
    from io import StringIO

    from django.core.management import call_command

    _dead_letters()
    poison = event_record(type="error", payload={"error_type": "Poison", "source": "test"})
    wait_for(lambda: _dead_letter_count() == 1, timeout=30)
    out = StringIO()
    call_command("analytics_dead_letters", stdout=out)
    assert out.getvalue().startswith("1 dead-lettered")

    with connection.cursor() as cursor:  # the fix: the database accepts the event now
        cursor.execute("DROP TRIGGER analytics_test_refuse ON analytics_event")
        cursor.execute(
            "CREATE TRIGGER analytics_test_refuse BEFORE INSERT ON analytics_event FOR EACH ROW "
            "WHEN (false) EXECUTE FUNCTION analytics_test_refuse()"
        )
    call_command("analytics_dead_letters", "--requeue", stdout=StringIO())

    wait_for(lambda: Event.objects.filter(event_id=poison).exists(), timeout=15)
    assert _dead_letter_count() == 0


def _dead_letter_count() -> int:
    with app.connection_for_write() as conn, conn.channel() as channel:
        return channel.queue_declare(dead_letter_queue_name(), passive=True).message_count
