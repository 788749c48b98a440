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


def test_staff_insights_draw_cost_per_success_with_gaps(new_page):
    from datetime import timedelta

    from django.utils import timezone

    from testing.factories import UserFactory
    from web.tests.test_browser_e2e import PASSWORD
    from web.tests.test_insights_page import store_events

    UserFactory(username="staff", email="staff@example.com", password=PASSWORD, is_staff=True)
    user = UserFactory()
    gpt = {"provider": "openai", "model": "gpt-4o-mini"}
    now = timezone.now()
    # Three days ago and today gpt's recommendations succeed; the two days between have none: gaps in the line.
    for days_ago, cost in ((3, 0.02), (0, 0.01)):
        moment = now - timedelta(days=days_ago)
        store_events("chat.message", [{**gpt, "cost_usd": cost}], occurred_at=moment)
        store_events(
            "recommendation.shown",
            [{"room_ids": [days_ago + 1], "message_id": 100 + days_ago, **gpt}],
            user_id=user.id,
            occurred_at=moment - timedelta(seconds=1),
        )
        store_events("booking.clicked", [{"room_id": days_ago + 1}], user_id=user.id, occurred_at=moment)
    page = new_page()
    page.goto("/login/?next=/staff/insights/")
    page.get_by_label("아이디").fill("staff")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()

    chart = page.locator("#chart-cost-per-success")
    expect(chart).to_have_attribute("data-rendered", "true")
    # Two days with a success: two visible dots (each alone between gaps), and a line of two separate moves.
    expect(chart.locator("circle[r='3']")).to_have_count(2)
    assert chart.locator("path.chart__line").get_attribute("d").count("M") == 2
    table = page.get_by_role("table")
    expect(table).to_contain_text("기간 합계")
    expect(table).to_contain_text("openai/gpt-4o-mini")
    expect(page.locator(".kpi", has_text="성공 추천당 LLM 비용")).to_contain_text("$0.0150")


def test_a_live_reply_card_booking_link_reports_its_recommendation(new_page):
    from chat.models import ChatMessage
    from testing.factories import PASSWORD, UserFactory, small_catalogue_build
    from web.tests.test_browser_e2e import RECORDER, ask, wait_done

    small_catalogue_build(embed=True)
    user = UserFactory(username="live")
    page = new_page()
    page.context.route("https://**/*", lambda route: route.fulfill(body="<p>예약</p>"))
    page.add_init_script(RECORDER)
    page.goto("/login/")
    page.get_by_label("아이디").fill("live")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page.locator("#conn")).to_have_text("연결됨")

    ask(page, "강남에서 4명이서 할만한 공포 테마")
    wait_done(page, 1)
    reply = ChatMessage.objects.filter(session__user=user, role="assistant").latest("id")
    book = page.locator(".bubble-row--assistant").last.locator("a.js-book").first  # built by static/js/chat.js
    room_id = int(book.get_attribute("data-room-id"))
    expect(book).to_have_attribute("data-message-id", str(reply.id))
    with (
        page.expect_response(lambda r: r.url.endswith(f"/rooms/{room_id}/booking-click")) as beacon,
        page.expect_popup(),
    ):
        book.click()
    assert beacon.value.status == 204
    assert [(doc["payload"]["room_id"], doc["payload"]["message_id"]) for doc in booking_events()] == [
        (room_id, reply.id)
    ]
