"""The issue's end-to-end journey in Chromium against the live ASGI server (HTTP + WebSocket):
sign up → chat → streamed reply and matching cards → remove a chip → open a card → review → see it on
the room page and on /me/. Plus reconnection, the staff insights charts, and 360 px layouts."""

import re
import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from analytics.ingest import events_insert
from analytics.schema import event_document
from chat.models import ChatSession, RecommendationFeedback
from rooms.models import Review, Room
from testing.factories import UserFactory, small_catalogue_build
from web.tests.conftest import screenshot

pytestmark = pytest.mark.browser

PASSWORD = "Escape!2026"
QUESTION = "강남에서 4명이서 할만한 공포 테마"

# Records, inside the page, every frame the WebSocket delivers and each length the streaming reply
# bubble takes, so the test can tell a streamed reply from one that arrived whole.
RECORDER = """
(() => {
  window.__frames = [];
  window.__bubbleLengths = [];
  const Native = window.WebSocket;
  window.WebSocket = function (url, protocols) {
    const socket = protocols ? new Native(url, protocols) : new Native(url);
    socket.addEventListener("message", (event) => window.__frames.push(JSON.parse(event.data)));
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, { OPEN: 1, CLOSED: 3, CONNECTING: 0, CLOSING: 2 });
  new MutationObserver(() => {
    const bubbles = document.querySelectorAll(".bubble--assistant[aria-busy]");
    const last = bubbles[bubbles.length - 1];
    if (last) window.__bubbleLengths.push(last.textContent.length);
  }).observe(document, { subtree: true, childList: true, characterData: true });
})();
"""


def wait_until(predicate, timeout: float = 10.0) -> None:
    """The browser's beacon reaches the server on its own time: poll the database for what it wrote."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(0.1)


def signup(page, username: str) -> None:
    page.goto("/signup/")
    page.get_by_label("아이디").fill(username)
    page.get_by_label("이메일").fill(f"{username}@example.com")
    page.get_by_label("비밀번호", exact=True).fill(PASSWORD)
    page.get_by_label("비밀번호 확인").fill(PASSWORD)
    page.get_by_role("button", name="가입하기").click()
    expect(page).to_have_url(re.compile(r"/$"))


def ask(page, text: str) -> bool:
    """Type and send; returns whether the typing indicator was in the page right after the submit,
    before any frame could arrive (the submit handler runs synchronously)."""
    page.get_by_label("메시지").fill(text)
    return page.evaluate(
        "() => { document.getElementById('composer').requestSubmit(); return !!document.getElementById('typing'); }"
    )


def wait_done(page, count: int, timeout: float = 30.0) -> None:
    # Polled from here: wait_for_function evaluates its predicate with eval(), which the page's CSP refuses.
    deadline = time.monotonic() + timeout
    while page.evaluate("window.__frames.filter(f => f.type === 'done').length") < count:
        assert time.monotonic() < deadline, f"fewer than {count} replies after {timeout} s"
        page.wait_for_timeout(100)


def test_signup_chat_chip_card_review_and_my_page(new_page):
    small_catalogue_build(embed=True)
    page = new_page()
    page.add_init_script(RECORDER)
    signup(page, "jisoo")
    expect(page.locator("#conn")).to_have_text("연결됨")
    screenshot(page, "chat-empty")

    assert ask(page, QUESTION), "the typing indicator must appear at once"
    wait_done(page, 1)

    frames = page.evaluate("window.__frames")
    tokens = [frame["text"] for frame in frames if frame["type"] == "token"]
    assert len(tokens) > 3, "the reply streams in several token frames"
    reply = page.locator(".bubble--assistant").last
    expect(reply).to_have_text("".join(tokens))
    lengths = page.evaluate("window.__bubbleLengths")
    final = len("".join(tokens))
    assert any(0 < length < final for length in lengths), "the bubble showed partial text while streaming"
    expect(page.locator("#typing")).to_have_count(0)

    cards = page.locator(".rec-list .room-card")
    expect(cards.first).to_be_visible()
    room_ids = [int(value) for value in cards.evaluate_all("cards => cards.map(c => c.dataset.roomId)")]
    assert room_ids
    for room in Room.objects.filter(id__in=room_ids):
        assert room.region == "강남"
        assert "공포" in room.genres
        assert room.min_players <= 4 <= room.max_players
    for index in range(len(room_ids)):
        card = cards.nth(index)
        expect(card.locator(".tag--region")).to_have_text("강남")
        expect(card.locator(".tags")).to_contain_text("공포")
    expect(cards.first.locator(".room-card__book")).to_have_attribute("href", re.compile(r"^https://booking"))

    chips = page.locator("#chips .chip")
    expect(chips).to_have_count(3)
    expect(page.locator("#chips")).to_contain_text("지역 강남")
    expect(page.locator("#chips")).to_contain_text("장르 공포")
    expect(page.locator("#chips")).to_contain_text("4명")
    page.set_viewport_size({"width": 1280, "height": 1320})  # the whole conversation in one picture
    screenshot(page, "chat")
    page.set_viewport_size({"width": 1280, "height": 860})

    page.get_by_role("button", name="지역 강남 조건 삭제").click()
    expect(chips).to_have_count(2)
    expect(page.locator(".notice").last).to_contain_text("‘지역 강남’ 조건을 뺐어요")
    session = ChatSession.objects.get(user__username="jisoo")
    assert session.state["region"] is None
    assert session.state["genres"] == ["공포"]
    assert session.state["players"] == 4

    first_name = cards.first.locator(".room-card__name a")
    name = first_name.inner_text()
    first_name.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    # The click went out as a POST beacon; the room page's URL carries nothing that writes on GET.
    assert re.search(r"/rooms/\d+/$", page.url)
    room = Room.objects.get(id=room_ids[0])
    wait_until(
        lambda: RecommendationFeedback.objects.filter(room=room, kind="clicked", user__username="jisoo").exists()
    )

    page.locator("label[for=rating-5]").click()
    page.get_by_role("textbox", name="후기 (선택)").fill("조명이 꺼질 때 심장이 멎는 줄 알았어요 <i>진짜로</i>")
    page.get_by_role("spinbutton", name="사용한 힌트 (선택)").fill("2")
    page.get_by_role("button", name="후기 등록").click()
    expect(page.get_by_role("status").first).to_contain_text("후기를 등록했어요")
    review = page.locator("#reviews .review").first
    expect(review).to_contain_text("jisoo")
    expect(review).to_contain_text("<i>진짜로</i>")
    expect(review).to_contain_text("힌트 2개")
    assert Review.objects.get(room=room, user__username="jisoo").rating == 5
    screenshot(page, "room-detail-reviewed")

    page.get_by_role("link", name="내 정보").click()
    expect(page.locator("#my-reviews")).to_contain_text(name)
    expect(page.locator("#my-reviews")).to_contain_text("조명이 꺼질 때")
    expect(page.get_by_role("region", name="내 대화")).to_contain_text(QUESTION[:20])
    screenshot(page, "me")

    # The conversation comes back from the server on the chat page, with its cards and chips.
    page.get_by_role("region", name="내 대화").get_by_role("link").first.click()
    expect(page.locator(".bubble--user").first).to_have_text(QUESTION)
    expect(page.locator(".rec-list .room-card")).to_have_count(len(room_ids))
    expect(page.locator("#chips .chip")).to_have_count(2)


def test_chat_reconnects_and_keeps_the_conversation(new_page):
    small_catalogue_build(embed=True)
    page = new_page()
    page.add_init_script(RECORDER)
    signup(page, "reconnect")
    expect(page.locator("#conn")).to_have_text("연결됨")
    ask(page, QUESTION)
    wait_done(page, 1)
    session_id = page.evaluate("window.__frames.find(f => f.type === 'done').session_id")

    page.evaluate("document.getElementById('chat').chatDebug.drop()")
    expect(page.locator("#conn")).to_have_attribute("data-state", "connecting")
    expect(page.locator("#conn")).to_have_text("연결됨")
    ask(page, "난이도 쉬운 걸로")
    wait_done(page, 2)

    dones = page.evaluate("window.__frames.filter(f => f.type === 'done')")
    assert dones[1]["session_id"] == session_id
    expect(page.locator(".bubble--user")).to_have_count(2)
    expect(page.locator(".bubble--assistant")).to_have_count(2)
    assert ChatSession.objects.filter(user__username="reconnect").count() == 1
    assert ChatSession.objects.get(id=session_id).messages.count() == 4
    assert f"session={session_id}" in page.url


def _store_events(type_: str, payloads: list[dict], occurred_at=None) -> None:
    events_insert(
        documents=[
            event_document(
                type=type_,
                event_id=uuid.uuid4(),
                user_id=None,
                chat_session_id=None,
                payload=payload,
                occurred_at=occurred_at or timezone.now(),
                max_payload_bytes=settings.ANALYTICS_MAX_PAYLOAD_BYTES,
            )
            for payload in payloads
        ]
    )


def test_staff_sees_insight_charts(new_page):
    UserFactory(username="staff", email="staff@example.com", password=PASSWORD, is_staff=True)
    _store_events(
        "search.performed",
        [{"query": "q", "region": region, "genres": [genre]} for region, genre in [("강남", "공포")] * 5]
        + [{"query": "q", "region": "홍대", "genres": ["추리"]}] * 3,
    )
    _store_events(
        "chat.message",
        [{"message_id": i, "ran_search": True, "provider": "local", "model": "templates"} for i in range(4)],
    )
    _store_events("recommendation.shown", [{"room_ids": [1], "region": "강남", "genres": ["공포"]}] * 2)
    for months_ago, (horror, mystery) in enumerate([(9, 4), (8, 5), (7, 7), (6, 6), (5, 9), (4, 8)], start=1):
        moment = timezone.now() - timedelta(days=31 * months_ago)
        _store_events("search.performed", [{"query": "q", "region": "강남", "genres": ["공포"]}] * horror, moment)
        _store_events("search.performed", [{"query": "q", "region": "홍대", "genres": ["추리"]}] * mystery, moment)
    page = new_page()
    page.goto("/login/?next=/staff/insights/")
    page.get_by_label("아이디").fill("staff")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("운영 인사이트")
    charts = page.locator(".chart")
    count = charts.count()
    assert count >= 5
    for index in range(count):
        chart = charts.nth(index)
        expect(chart).to_have_attribute("data-rendered", "true")
        expect(chart.locator("svg")).to_be_visible()
    regions = page.locator("#chart-regions")
    expect(regions.locator("rect.chart__bar")).to_have_count(2)
    expect(regions).to_contain_text("강남")
    expect(page.locator("#chart-chats path.chart__line")).to_have_count(2)
    trend = page.locator("#chart-trend-genre")
    expect(trend.locator("path.chart__line")).to_have_count(4)  # 공포 and 추리, each history + forecast
    expect(trend.locator("path[stroke-dasharray]")).to_have_count(2)
    expect(trend.locator(".chart__legend")).to_contain_text("공포 예측")
    screenshot(page, "staff-insights")


PAGES_360 = ["/", "/rooms/", "/rooms/{room}/", "/signup/", "/login/", "/me/", "/staff/insights/"]


def test_nothing_overflows_at_360px(new_page):
    rooms = small_catalogue_build(embed=True)
    UserFactory(username="narrow", email="narrow@example.com", password=PASSWORD, is_staff=True)
    page = new_page(width=360, height=740)
    page.goto("/login/")
    page.get_by_label("아이디").fill("narrow")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("link", name="내 정보")).to_be_visible()

    page.add_init_script(RECORDER)
    page.goto("/")
    expect(page.locator("#conn")).to_have_text("연결됨")
    ask(page, QUESTION)
    wait_done(page, 1)
    expect(page.locator(".rec-list .room-card").first).to_be_visible()
    widths = {"/ (with cards)": page.evaluate("document.scrollingElement.scrollWidth")}
    screenshot(page, "360-chat")

    for path in PAGES_360:
        url = path.format(room=rooms["폐병원 403호"].id)
        page.goto(url)
        page.wait_for_load_state("load")
        widths[url] = page.evaluate("document.scrollingElement.scrollWidth")
        slug = url.strip("/").replace("/", "-") or "home"
        screenshot(page, f"360-{slug}")
    assert all(width <= 360 for width in widths.values()), widths
