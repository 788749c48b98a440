"""The event buffer survives a Redis crash, and an event finds PostgreSQL when Redis is gone.

Each test runs a Redis of its own (testing/redis_server.py) as the buffer's Redis, configured as setup and
compose configure it, so that it can be killed and restarted; the shared Redis stays the cache's.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections

from analytics import buffer
from analytics.models import Event
from analytics.services import event_record, events_flush
from testing.redis_server import OwnRedis


@pytest.fixture
def own_redis(tmp_path, settings):
    server = OwnRedis(tmp_path)
    server.start()
    settings.ANALYTICS_BUFFER_REDIS_URL = server.url  # the buffer reconnects to it (setting_changed)
    yield server
    server.kill()


@pytest.mark.django_db(transaction=True)
def test_a_redis_sigkill_loses_at_most_the_last_second_of_buffered_events(own_redis, user):
    recorded: list[tuple[str, float]] = []  # (event id, when event_record returned)
    stop = threading.Event()

    def record() -> None:
        try:
            while not stop.is_set():
                event_id = event_record(type="room.viewed", user_id=user.id, payload={"room_id": 1})
                recorded.append((str(event_id), time.monotonic()))
                time.sleep(0.002)
        finally:
            connections.close_all()

    writer = threading.Thread(target=record)
    writer.start()
    time.sleep(2.0)
    buffered_before_kill = buffer.buffer_length()
    killed_at = time.monotonic()
    own_redis.kill()
    time.sleep(0.5)  # events recorded now find no Redis: they go straight to PostgreSQL
    direct_while_down = Event.objects.count()
    own_redis.start()  # the same directory: Redis replays its append-only file
    time.sleep(0.5)
    stop.set()
    writer.join()

    stats = events_flush()
    stored = set(Event.objects.values_list("event_id", flat=True).iterator())
    stored = {str(event_id) for event_id in stored}
    lost = [(event_id, at) for event_id, at in recorded if event_id not in stored]
    print(
        f"redis SIGKILL: {len(recorded)} events recorded, {buffered_before_kill} buffered at the kill, "
        f"{direct_while_down} stored directly while Redis was down, {stats['inserted']} flushed after the "
        f"restart, {len(lost)} lost"
    )
    assert buffered_before_kill > 100 and direct_while_down > 0
    # At most the last second before the kill may be gone (appendfsync everysec).
    assert all(at >= killed_at - 1.0 for _, at in lost), lost[:5]
    assert len(stored) == len(recorded) - len(lost)


@pytest.mark.django_db
def test_a_review_succeeds_and_its_event_is_stored_when_the_buffers_redis_is_down(
    own_redis, auth_client, user, django_capture_on_commit_callbacks
):
    from testing.factories import RoomFactory

    room = RoomFactory()
    own_redis.stop()

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(f"/rooms/{room.id}/reviews", {"rating": 5, "text": "최고"}, format="json")

    assert response.status_code == 201, response.content
    event = Event.objects.get(type="review.created")
    assert event.user_id == user.id and event.payload["room_id"] == room.id and event.payload["rating"] == 5
