"""Booking links in Chromium: following one (in a chat reply's card, on a room page) sends static/js/booking.js's
beacon, recorded as a `booking.clicked` event, while the booking page opens as the link says."""

import json

import pytest
from django_redis import get_redis_connection
from playwright.sync_api import expect

from accounts.models import User
from analytics.buffer import key
from chat.models import ChatMessage, ChatSession
from testing.factories import RoomFactory
from web.tests.test_browser_e2e import signup

pytestmark = pytest.mark.browser


def booking_events() -> list[dict]:
    docs = [json.loads(raw) for raw in get_redis_connection("default").lrange(key("buffer"), 0, -1)]
    return [doc for doc in docs if doc["type"] == "booking.clicked"]


def test_booking_links_report_their_clicks_and_still_open(new_page):
    room = RoomFactory(name="폐병원 403호")
    page = new_page()
    # The store's booking site, answered here (no network in tests).
    page.context.route("https://booking.example.com/**", lambda route: route.fulfill(body="<p>예약</p>"))
    signup(page, "minji")
    user = User.objects.get(username="minji")
    session = ChatSession.objects.create(user=user, title="강남 공포")
    ChatMessage.objects.create(session=session, role="user", text="강남 공포")
    reply = ChatMessage.objects.create(
        session=session, role="assistant", text="추천해요", recommended_room_ids=[room.id], provider="local"
    )

    page.goto(f"/?session={session.id}")  # the reloaded conversation's cards (templates/rooms/_card.html)
    book = page.locator(".room-card__book").first
    expect(book).to_have_attribute("data-message-id", str(reply.id))
    beacon_url = f"/rooms/{room.id}/booking-click"
    with page.expect_response(lambda r: r.url.endswith(beacon_url)) as beacon, page.expect_popup() as popup:
        book.click()
    assert beacon.value.status == 204
    expect(popup.value).to_have_url(room.store.booking_url)

    page.goto(f"/rooms/{room.id}/")
    with page.expect_response(lambda r: r.url.endswith(beacon_url)) as beacon, page.expect_popup():
        page.get_by_role("link", name="예약하러 가기 ›").click()
    assert beacon.value.status == 204

    events = booking_events()
    assert [(doc["user_id"], doc["payload"]["room_id"], doc["payload"]["message_id"]) for doc in events] == [
        (user.id, room.id, reply.id),
        (user.id, room.id, None),
    ]
