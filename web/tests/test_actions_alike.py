"""One rule per action: a page and the API that do the same thing leave the same rows and the same events,
because both call the same service. And no GET writes a row."""

import json

import pytest
from django.test import Client
from django.utils import timezone
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from accounts.tokens import tokens_issue
from analytics.buffer import key
from analytics.selectors import insights_compute
from analytics.services import events_flush
from chat.models import ChatMessage, ChatSession, RecommendationFeedback
from rooms.models import Review
from testing.factories import small_catalogue_build

pytestmark = pytest.mark.django_db

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def buffered() -> list[dict]:
    """The events waiting in the Redis buffer, oldest first."""
    return [json.loads(raw) for raw in get_redis_connection("default").lrange(key("buffer"), 0, -1)]


def _events(types: set[str]) -> list[tuple[str, int | None, dict]]:
    return [(doc["type"], doc["user_id"], doc["payload"]) for doc in buffered() if doc["type"] in types]


@pytest.fixture
def rooms():
    return small_catalogue_build(embed=False)


@pytest.fixture
def page(user) -> Client:
    client = Client(headers={"Accept": BROWSER_ACCEPT})
    client.force_login(user)
    return client


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=user)['access']}")
    return client


def _review_rows(room) -> list[tuple]:
    return list(Review.objects.filter(room=room).values_list("rating", "text", "hints_used", "escaped", "played_on"))


def _room_numbers(room) -> tuple[float, int]:
    room.refresh_from_db()
    return round(room.rating, 4), room.review_count


@pytest.mark.parametrize("via", ["page", "api"])
def test_a_review_leaves_the_same_row_rating_and_events_from_the_page_and_the_api(
    via, rooms, user, page, api, django_capture_on_commit_callbacks
):
    room = rooms["저주받은 인형"]
    send = {
        "page": lambda data: page.post(f"/rooms/{room.id}/review/", {**data, "escaped": "on"}),
        "api": lambda data: api.post(f"/rooms/{room.id}/reviews", {**data, "escaped": True}, format="json"),
    }[via]

    with django_capture_on_commit_callbacks(execute=True):
        first = send({"rating": 5, "text": "연출 최고", "hints_used": 1, "played_on": "2026-11-01"})
        second = send({"rating": 3, "text": "다시 생각해보니 보통", "hints_used": 1, "played_on": "2026-11-01"})

    assert first.status_code in (201, 302) and second.status_code in (200, 302)
    assert _review_rows(room) == [(3, "다시 생각해보니 보통", 1, True, timezone.datetime(2026, 11, 1).date())]
    # The catalogue's 80 reviews at 4.2 plus this one, at its edited rating.
    assert _room_numbers(room) == (round((4.2 * 80 + 3) / 81, 4), 81)
    facts = {"room_id": room.id, "region": "강남", "genres": ["공포"]}
    assert _events({"review.created", "review.updated"}) == [
        ("review.created", user.id, {**facts, "rating": 5}),
        ("review.updated", user.id, {**facts, "rating": 3}),
    ]


def test_an_api_review_counts_in_the_staff_insights_exactly_like_a_page_review(
    rooms, page, api, django_capture_on_commit_callbacks
):
    def insights_after(post) -> dict:
        get_redis_connection("default").delete(key("buffer"))
        with django_capture_on_commit_callbacks(execute=True):
            post()
        events_flush()
        today = timezone.localdate()
        insights = insights_compute(day_from=today, day_to=today)
        return {
            "regions": {row["region"]: row["reviews"] for row in insights["popular_regions"]},
            "genres": {row["genre"]: row["reviews"] for row in insights["popular_genres"]},
        }

    on_page = insights_after(lambda: page.post(f"/rooms/{rooms['저주받은 인형'].id}/review/", {"rating": "4"}))
    by_api = insights_after(
        lambda: api.post(f"/rooms/{rooms['폐병원 403호'].id}/reviews", {"rating": 4}, format="json")
    )

    assert on_page == {"regions": {"강남": 1}, "genres": {"공포": 1}}
    # Both rooms are 강남 공포 (폐병원 also 스릴러): the API's review adds to the same counts.
    assert by_api == {"regions": {"강남": 2}, "genres": {"공포": 2, "스릴러": 1}}


@pytest.mark.parametrize("via", ["page", "api"])
def test_a_room_view_is_one_event_from_the_page_and_the_api(
    via, rooms, user, page, api, django_capture_on_commit_callbacks
):
    room = rooms["셜록의 서재"]
    client = page if via == "page" else api

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"/rooms/{room.id}/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html" if via == "page" else "application/json")
    assert _events({"room.viewed"}) == [("room.viewed", user.id, {"room_id": room.id})]


def _recommendation(user, room) -> ChatMessage:
    session = ChatSession.objects.create(user=user, title="강남 공포")
    return ChatMessage.objects.create(
        session=session, role="assistant", text="추천해요", recommended_room_ids=[room.id]
    )


@pytest.mark.parametrize("via", ["page", "api"])
def test_a_recommendation_click_is_a_post_that_leaves_the_same_row_and_event(
    via, rooms, user, page, api, django_capture_on_commit_callbacks
):
    room = rooms["폐병원 403호"]
    message = _recommendation(user, room)

    def click():
        if via == "page":  # what the chat page's navigator.sendBeacon sends: form data with the CSRF token
            return page.post(f"/rooms/{room.id}/click", {"message_id": str(message.id)})
        return api.post(
            f"/chat/recommendations/{message.id}/feedback", {"room_id": room.id, "kind": "clicked"}, format="json"
        )

    with django_capture_on_commit_callbacks(execute=True):
        first = click()
        again = click()  # the same click twice is one click

    assert first.status_code in (200, 201, 204) and again.status_code in (200, 201, 204)
    assert list(RecommendationFeedback.objects.values_list("user_id", "room_id", "message_id", "kind")) == [
        (user.id, room.id, message.id, "clicked")
    ]
    assert _events({"recommendation.clicked"}) == [
        (
            "recommendation.clicked",
            user.id,
            {
                "room_id": room.id,
                "message_id": message.id,
                "feedback": "clicked",
                "region": "강남",
                "genres": room.genres,
            },
        )
    ]


def test_the_click_beacon_refuses_what_is_not_a_recommendation(rooms, user, page):
    room, other = rooms["폐병원 403호"], rooms["셜록의 서재"]
    message = _recommendation(user, room)

    not_recommended = page.post(f"/rooms/{other.id}/click", {"message_id": str(message.id)})
    garbage = page.post(f"/rooms/{room.id}/click", {"message_id": "<script>"})
    anonymous = Client().post(f"/rooms/{room.id}/click", {"message_id": str(message.id)})
    as_get = page.get(f"/rooms/{room.id}/click", {"message_id": str(message.id)})

    assert not_recommended.status_code == 404 and "추천에 포함되지 않은" in not_recommended.json()["detail"]
    assert garbage.status_code == 400
    assert anonymous.status_code == 401
    assert as_get.status_code == 405
    assert not RecommendationFeedback.objects.exists()


def test_the_beacon_needs_the_csrf_token_like_any_form(rooms, user):
    room = rooms["폐병원 403호"]
    message = _recommendation(user, room)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    refused = client.post(f"/rooms/{room.id}/click", {"message_id": str(message.id)})
    client.get("/")  # the chat page sets the CSRF cookie and prints the token for the beacon
    token = client.cookies["csrftoken"].value
    accepted = client.post(f"/rooms/{room.id}/click", {"message_id": str(message.id), "csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert accepted.status_code == 204
    assert RecommendationFeedback.objects.count() == 1


def test_no_get_writes_a_row(rooms, user, page, django_capture_on_commit_callbacks):
    """The old `?from=<message id>` link wrote a click on GET; now a GET only reads (and records a view)."""
    room = rooms["폐병원 403호"]
    message = _recommendation(user, room)

    with django_capture_on_commit_callbacks(execute=True):
        response = page.get(f"/rooms/{room.id}/", {"from": str(message.id)})

    assert response.status_code == 200
    assert not RecommendationFeedback.objects.exists()
    assert [event[0] for event in _events({"recommendation.clicked", "room.viewed"})] == ["room.viewed"]
