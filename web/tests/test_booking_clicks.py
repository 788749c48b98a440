"""Booking clicks: the pages' beacon and the API record the same `booking.clicked` event through one service, and
a recommendation's first success (a booking click or a logged play in the window) moves the Prometheus counter."""

import json
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from accounts.tokens import tokens_issue
from analytics.buffer import key
from analytics.tests.support import metric_value
from chat.models import ChatMessage
from plays.services import play_log
from testing.factories import ChatMessageFactory, ChatSessionFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db


def booking_events() -> list[tuple[int | None, dict]]:
    docs = [json.loads(raw) for raw in get_redis_connection("default").lrange(key("buffer"), 0, -1)]
    return [(doc["user_id"], doc["payload"]) for doc in docs if doc["type"] == "booking.clicked"]


def reply(user, rooms, *, provider="openai", model="gpt-4o-mini", days_ago=0) -> ChatMessage:
    message = ChatMessageFactory(
        session=ChatSessionFactory(user=user),
        role="assistant",
        text="추천해요",
        recommended_room_ids=[room.id for room in rooms],
        provider=provider,
        model=model,
    )
    if days_ago:
        ChatMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
        message.refresh_from_db()
    return message


def successes(signal: str, model: str) -> float:
    return metric_value("escape_ai_recommendation_successes_total", signal=signal, model=model)


@pytest.fixture
def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=user)['access']}")
    return client


def test_the_beacon_answers_like_the_click_beacon(user, page, django_capture_on_commit_callbacks):
    room, other_room = RoomFactory(), RoomFactory()
    message = reply(user, [room])
    someone_elses = reply(UserFactory(), [room])
    url = f"/rooms/{room.id}/booking-click"

    assert Client().post(url, {"message_id": str(message.id)}).status_code == 401  # signed out: not recorded
    assert page.post(url, {"message_id": "<script>"}).status_code == 400
    assert page.post(url, {"slot_id": "-3"}).status_code == 400
    assert page.post(url, {"message_id": str(2**63)}).status_code == 400
    assert page.get(url).status_code == 405
    assert page.post("/rooms/999999/booking-click").status_code == 404
    not_recommended = page.post(f"/rooms/{other_room.id}/booking-click", {"message_id": str(message.id)})
    assert not_recommended.status_code == 404 and "추천에 포함되지 않은" in not_recommended.json()["detail"]
    assert page.post(url, {"message_id": str(someone_elses.id)}).status_code == 404
    assert booking_events() == []

    with django_capture_on_commit_callbacks(execute=True):
        with_message = page.post(url, {"message_id": str(message.id), "slot_id": "41"})
        from_page = page.post(url)  # the room page's link: no recommendation, no slot

    assert with_message.status_code == from_page.status_code == 204
    assert booking_events() == [
        (
            user.id,
            {
                "room_id": room.id,
                "message_id": message.id,
                "slot_id": 41,
                "provider": "openai",
                "model": "gpt-4o-mini",
            },
        ),
        (user.id, {"room_id": room.id, "message_id": None, "slot_id": None}),
    ]


def test_the_beacon_needs_the_csrf_token_and_is_throttled(user, settings, django_capture_on_commit_callbacks):
    room = RoomFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    url = f"/rooms/{room.id}/booking-click"

    refused = client.post(url)
    page = client.get(f"/rooms/{room.id}/", HTTP_ACCEPT="text/html")  # a signed-in page prints the token
    token = client.cookies["csrftoken"].value
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "booking_click": "2/min"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        answers = [client.post(url, {"csrfmiddlewaretoken": token}).status_code for _ in range(3)]

    assert refused.status_code == 403
    assert 'id="booking-beacon"' in page.content.decode()
    assert answers == [204, 204, 429]
    assert len(booking_events()) == 2


def test_the_api_records_the_same_event_and_says_which_recommendation_it_credits(
    user, api, django_capture_on_commit_callbacks
):
    room = RoomFactory()
    old = reply(user, [room], days_ago=3)
    latest = reply(user, [room], provider="local", model="local-templates", days_ago=1)

    with django_capture_on_commit_callbacks(execute=True):
        from_card = api.post(f"/rooms/{room.id}/booking-clicks", {"message_id": old.id, "slot_id": 7}, format="json")
        from_page = api.post(f"/rooms/{room.id}/booking-clicks", {}, format="json")
    wrong_type = api.post(f"/rooms/{room.id}/booking-clicks", {"message_id": "12"}, format="json")
    not_mine = api.post(
        f"/rooms/{room.id}/booking-clicks", {"message_id": reply(UserFactory(), [room]).id}, format="json"
    )
    anonymous = APIClient().post(f"/rooms/{room.id}/booking-clicks", {}, format="json")

    assert from_card.status_code == 201
    assert from_card.json() == {"room_id": room.id, "message_id": old.id, "slot_id": 7, "credited_message_id": old.id}
    # Without a message, the click credits the latest reply that recommended the room to this user.
    assert from_page.status_code == 201 and from_page.json()["credited_message_id"] == latest.id
    assert wrong_type.status_code == 400
    assert not_mine.status_code == 404
    assert anonymous.status_code == 401
    assert [payload["message_id"] for _, payload in booking_events()] == [old.id, None]


def test_a_recommendation_succeeds_once_in_prometheus_by_booking_or_by_play(
    user, page, django_capture_on_commit_callbacks
):
    booked_room, played_room, late_room, imported_room = (RoomFactory() for _ in range(4))
    model = "gpt-success-test"
    message = reply(user, [booked_room, played_room, imported_room], model=model)
    reply(user, [late_room], model=model, days_ago=45)  # older than the window
    before = {signal: successes(signal, model) for signal in ("booking", "play")}

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):  # a double click is one success
            assert (
                page.post(f"/rooms/{booked_room.id}/booking-click", {"message_id": str(message.id)}).status_code == 204
            )
        play_log(user=user, room=booked_room, played_on=date.today())  # already a success: not counted again
        play_log(user=user, room=played_room, played_on=date.today())
        play_log(user=user, room=late_room, played_on=date.today())
        play_log(user=user, room=imported_room, played_on=date.today(), source="import")
        assert page.post(f"/rooms/{late_room.id}/booking-click").status_code == 204  # stored, credits nothing

    assert successes("booking", model) - before["booking"] == 1
    assert successes("play", model) - before["play"] == 1
