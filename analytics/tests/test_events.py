"""event_record and the flush, in-process against the real Redis and PostgreSQL."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from django.db import transaction

from analytics import buffer
from analytics.models import Event, EventRollup
from analytics.services import EventRejected, event_record, events_flush
from analytics.tests.support import metric_value
from escape_ai.logging import chat_session_id_var

pytestmark = pytest.mark.django_db


def _search(**payload):
    return {"query": "강남 공포", "region": "강남", "genres": ["공포"], "players": 3, "result_count": 5, **payload}


def test_ordinary_events_wait_in_the_buffer_until_a_flush(django_capture_on_commit_callbacks, user):
    recorded = metric_value("escape_ai_events_recorded_total", type="search.performed", route="buffered")
    flushed = metric_value("escape_ai_events_flushed_total", type="search.performed")
    flushes = metric_value("escape_ai_events_flush_seconds_count")
    with django_capture_on_commit_callbacks(execute=True):
        ids = [event_record(type="search.performed", user_id=user.id, payload=_search()) for _ in range(3)]

    assert buffer.buffer_length() == 3
    assert not Event.objects.exists()

    stats = events_flush()

    assert stats["inserted"] == 3 and stats["duplicates"] == 0
    stored = Event.objects.order_by("id")
    assert [event.event_id for event in stored] == ids
    assert all(event.user_id == user.id and event.type == "search.performed" for event in stored)
    assert stored[0].payload["region"] == "강남"
    assert buffer.buffer_length() == 0 and buffer.processing_length() == 0
    assert metric_value("escape_ai_events_recorded_total", type="search.performed", route="buffered") == recorded + 3
    assert metric_value("escape_ai_events_flushed_total", type="search.performed") == flushed + 3
    assert metric_value("escape_ai_events_flush_seconds_count") == flushes + 1
    assert metric_value("escape_ai_events_buffer_size") == 0


def test_event_recorded_in_a_rolled_back_transaction_is_not_buffered(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                event_record(type="room.viewed", payload={"room_id": 1})
                raise RuntimeError("the action failed")
        except RuntimeError:
            pass

    assert callbacks == []
    assert buffer.buffer_length() == 0


@pytest.mark.parametrize(
    ("kwargs", "reason", "message"),
    [
        ({"type": "chat.nonsense"}, "unknown_type", "알 수 없는 이벤트 유형"),
        ({"type": "room.viewed", "payload": {"room_id": 1, "when": datetime.now(UTC)}}, "not_json", "JSON"),
        ({"type": "room.viewed", "payload": {"room_id": 1, "note": "가" * 10000}}, "oversized", "너무 큽니다"),
        ({"type": "room.viewed", "payload": {"room_id": 1, "bad": float("nan")}}, "not_json", "JSON"),
        ({"type": "room.viewed", "payload": {"room_id": 1, "note": "a\x00b"}}, "not_json", "NUL"),
        ({"type": "room.viewed", "payload": {"room_id": 1, "note": "\ud800"}}, "not_json", "잘못된 문자"),
        ({"type": "room.viewed", "payload": ["room", 1]}, "bad_payload", "dict"),
        ({"type": "room.viewed", "payload": {}}, "missing_field", "room_id"),
        ({"type": "recommendation.clicked", "payload": {"room_id": 1, "feedback": "meh"}}, "bad_field", "feedback"),
        ({"type": "chat.message", "payload": {"ran_search": "yes"}}, "bad_field", "ran_search"),
        ({"type": "room.viewed", "payload": {"room_id": True}}, "bad_field", "room_id"),
        ({"type": "room.viewed", "user_id": -3, "payload": {"room_id": 1}}, "bad_field", "user_id"),
    ],
)
def test_malformed_events_are_refused_with_a_clear_error_and_counted(
    django_capture_on_commit_callbacks, kwargs, reason, message
):
    before = metric_value("escape_ai_events_rejected_total", reason=reason)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(EventRejected) as excinfo:
        event_record(**kwargs)

    assert message in str(excinfo.value)
    assert excinfo.value.reason == reason
    assert metric_value("escape_ai_events_rejected_total", reason=reason) == before + 1
    assert buffer.buffer_length() == 0


def test_a_malformed_item_in_the_buffer_is_set_aside_without_blocking_the_batch(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = event_record(type="room.viewed", payload={"room_id": 1})
    # What an older release (or a bug) might have left in the buffer.
    buffer.buffer_append('{"event_id": "not-a-uuid", "type": "room.viewed"}')
    buffer.buffer_append(json.dumps({"event_id": str(uuid.uuid4()), "type": "no.such", "occurred_at": "2026-01-01"}))
    with django_capture_on_commit_callbacks(execute=True):
        last = event_record(type="room.viewed", payload={"room_id": 2})
    before = metric_value("escape_ai_events_rejected_total", reason="unreadable")

    stats = events_flush()

    assert stats["inserted"] == 2 and stats["rejected"] == 2
    assert set(Event.objects.values_list("event_id", flat=True)) == {first, last}
    assert buffer.rejected_length() == 2
    assert metric_value("escape_ai_events_rejected_total", reason="unreadable") == before + 1


def test_the_same_event_stored_twice_is_stored_and_counted_once(django_capture_on_commit_callbacks):
    event_id = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):  # a producer that retried
            event_record(type="search.performed", payload=_search(), event_id=event_id)
    events_flush()
    with django_capture_on_commit_callbacks(execute=True):
        event_record(type="search.performed", payload=_search(), event_id=event_id)

    stats = events_flush()

    assert stats == {**stats, "inserted": 0, "duplicates": 1}
    assert Event.objects.filter(event_id=event_id).count() == 1
    rollup = EventRollup.objects.get(metric="search.region", key="강남")
    assert rollup.count == 1


def test_a_flush_first_stores_the_batch_a_crashed_flush_left_in_processing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ids = [event_record(type="room.viewed", payload={"room_id": n}) for n in range(5)]
    claimed = buffer.batch_claim(size=3)  # a flush took three and died before storing them
    assert len(claimed) == 3 and buffer.processing_length() == 3

    stats = events_flush()

    assert stats["recovered"] == 3 and stats["inserted"] == 5
    assert set(Event.objects.values_list("event_id", flat=True)) == set(ids)
    assert buffer.processing_length() == 0


def test_a_second_flush_waits_while_one_holds_the_lock(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event_record(type="room.viewed", payload={"room_id": 1})
    assert buffer.flush_lock_take(owner="another-flush", ttl_seconds=30)

    assert events_flush(owner="mine")["busy"] is True
    assert events_flush(owner="another-flush")["inserted"] == 1  # the owner (a redelivered task) proceeds


def test_chat_session_id_comes_from_the_context_when_not_given(django_capture_on_commit_callbacks):
    token = chat_session_id_var.set(42)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            event_record(type="room.viewed", payload={"room_id": 7})
    finally:
        chat_session_id_var.reset(token)
    events_flush()

    assert Event.objects.get().chat_session_id == 42


def test_events_about_a_deleted_user_are_kept_without_the_user(django_capture_on_commit_callbacks, user):
    with django_capture_on_commit_callbacks(execute=True):
        event_record(type="room.viewed", user_id=user.id, payload={"room_id": 1})
        event_record(type="room.viewed", user_id=user.id + 1000, payload={"room_id": 2})
    user.delete()

    assert events_flush()["inserted"] == 2
    assert list(Event.objects.values_list("user_id", flat=True)) == [None, None]


def test_a_document_the_database_refuses_is_set_aside_and_the_rest_of_its_batch_stored(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        good = [event_record(type="room.viewed", payload={"room_id": n}) for n in range(3)]
    # Valid JSON that PostgreSQL's jsonb refuses (a lone surrogate escape), from an older producer.
    refused = json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "type": "room.viewed",
            "occurred_at": datetime.now(UTC).isoformat(),
            "payload": {"room_id": 9, "note": "\ud800"},
        }
    )
    buffer.buffer_append(refused)
    before = metric_value("escape_ai_events_rejected_total", reason="refused_by_database")

    stats = events_flush()

    assert stats["inserted"] == 3
    assert set(Event.objects.values_list("event_id", flat=True)) == set(good)
    assert buffer.rejected_length() == 1 and buffer.processing_length() == 0
    assert metric_value("escape_ai_events_rejected_total", reason="refused_by_database") == before + 1


def test_beat_flushes_on_the_configured_interval_and_event_tasks_use_the_quorum_queue(settings):
    from celery.utils.quorum_queues import detect_quorum_queues

    from analytics.queues import dead_letter_queue_name, events_queue_name
    from analytics.tasks import event_store_task, events_flush_task
    from escape_ai.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["analytics-events-flush"]
    assert entry["task"] == events_flush_task.name and entry["schedule"] == settings.ANALYTICS_FLUSH_INTERVAL_SECONDS
    for task in (event_store_task, events_flush_task):
        queue = app.amqp.router.route({}, task.name)["queue"]
        assert queue.name == events_queue_name()
        assert queue.queue_arguments["x-queue-type"] == "quorum"
        assert queue.queue_arguments["x-delivery-limit"] == settings.ANALYTICS_DELIVERY_LIMIT
        assert queue.queue_arguments["x-dead-letter-routing-key"] == dead_letter_queue_name()
        assert task.acks_late and task.reject_on_worker_lost
    # Workers other than the events worker keep classic-queue behaviour for the other apps' tasks.
    assert detect_quorum_queues(app, "amqp") == (False, "")


def _buffer_client_id() -> int:
    connection = buffer._own_connection()
    connection.send_command("CLIENT", "ID")
    return connection.read_response()


def test_the_buffer_reconnects_when_redis_dropped_its_connection(django_capture_on_commit_callbacks):
    from django_redis import get_redis_connection

    with django_capture_on_commit_callbacks(execute=True):
        event_record(type="room.viewed", payload={"room_id": 1})
    dropped = _buffer_client_id()
    assert get_redis_connection("default").client_kill_filter(_id=dropped) == 1  # as a Redis restart would

    with django_capture_on_commit_callbacks(execute=True):
        event_record(type="room.viewed", payload={"room_id": 2})

    assert buffer.buffer_length() == 2
    assert _buffer_client_id() != dropped
    assert events_flush()["inserted"] == 2


def test_a_forked_process_pushes_on_a_connection_of_its_own(django_capture_on_commit_callbacks):
    import multiprocessing

    with django_capture_on_commit_callbacks(execute=True):
        event_record(type="room.viewed", payload={"room_id": 1})
    parent_id = _buffer_client_id()
    results = multiprocessing.get_context("fork").Queue()

    def child():
        buffer.buffer_append('{"child": true}')
        results.put(_buffer_client_id())

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join(20)

    assert process.exitcode == 0
    assert results.get(timeout=5) != parent_id
    assert _buffer_client_id() == parent_id  # the parent's connection was not disturbed by the child
    buffer.buffer_append('{"parent": true}')
    assert buffer.buffer_length() == 3
