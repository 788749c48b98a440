"""A conversation a fan holds on a phone (360 px): a list, a question about "두 번째 거", one more person, a bare
question, something easier; chips under a reply; and the signed-out page, whose examples lead through log-in back
to the chat with the question ready."""

import re

import pytest
from playwright.sync_api import expect

from chat.models import ChatSession
from rooms.models import Room
from testing.factories import PASSWORD, UserFactory, small_catalogue_build
from web.tests.conftest import screenshot
from web.tests.test_browser_e2e import RECORDER, ask, wait_done

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}


def login(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("아이디").fill(username)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page.locator("#conn")).to_have_text("연결됨")


def last_reply(page) -> str:
    return page.locator(".bubble--assistant").last.inner_text()


def last_cards(page) -> list[Room]:
    ids = (
        page.locator(".bubble-row--assistant")
        .last.locator(".room-card")
        .evaluate_all("cards => cards.map(c => Number(c.dataset.roomId))")
    )
    rooms = Room.objects.in_bulk(ids)
    return [rooms[room_id] for room_id in ids]


def fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide at {PHONE['width']} px"


def test_five_turns_with_a_reference_and_one_more_person_at_360px(new_page):
    small_catalogue_build(embed=True)
    UserFactory(username="phone")
    page = new_page(**PHONE)
    page.add_init_script(RECORDER)
    login(page, "phone")

    ask(page, "강남에서 4명이서 할만한 공포 테마")
    wait_done(page, 1)
    listed = last_cards(page)
    assert len(listed) >= 2
    assert all(
        room.region == "강남" and "공포" in room.genres and room.min_players <= 4 <= room.max_players for room in listed
    )
    reply = last_reply(page)
    assert len(reply.splitlines()) == len(listed) + 2  # a summary, a line per room, a tip
    assert "http" not in reply  # the booking link is the card's button
    expect(page.locator(".bubble-row--assistant").last.locator(".room-card__book").first).to_be_visible()
    fits_the_phone(page)

    ask(page, "두 번째 거 무서워요?")
    wait_done(page, 2)
    second = listed[1]
    reply = last_reply(page)
    assert second.name in reply and f"공포도는 5점 만점에 {second.fear}점" in reply
    assert [room.id for room in last_cards(page)] == [second.id]

    ask(page, "한 명 더")
    wait_done(page, 3)
    expect(page.locator("#chips")).to_contain_text("5명")
    five = last_cards(page)
    assert five and all(room.min_players <= 5 <= room.max_players and room.region == "강남" for room in five)
    assert "5명" in last_reply(page)

    ask(page, "가격은?")
    wait_done(page, 4)
    reply = last_reply(page)
    for room in five:
        assert room.name in reply and f"{room.price:,}원" in reply

    ask(page, "좀 더 쉬운 거")
    wait_done(page, 5)
    easier = last_cards(page)
    assert [room.id for room in easier] != [room.id for room in five]
    assert easier and all(room.difficulty < max(r.difficulty for r in five) for room in easier)
    assert all(room.min_players <= 5 <= room.max_players and "공포" in room.genres for room in easier)
    state = ChatSession.objects.get(user__username="phone").state
    assert (state["region"], state["players"], state["genres"]) == ("강남", 5, ["공포"])
    fits_the_phone(page)
    screenshot(page, "chat-phone-conversation")


def test_chips_under_a_reply_answer_the_question(new_page):
    small_catalogue_build(embed=True)
    UserFactory(username="chips")
    page = new_page(**PHONE)
    page.add_init_script(RECORDER)
    login(page, "chips")

    ask(page, "쫄보 둘이 갈만한 안 무서운 곳")
    wait_done(page, 1)
    assert "어느 지역" in last_reply(page)
    chips = page.locator(".suggestions .chip--suggest")
    expect(chips.first).to_be_visible()
    labels = chips.all_inner_texts()
    assert "어디든 괜찮아요" in labels and "홍대" in labels
    fits_the_phone(page)

    page.locator(".suggestions").get_by_role("button", name="홍대", exact=True).click()
    wait_done(page, 2)
    expect(page.locator(".bubble--user").last).to_have_text("홍대")
    rooms = last_cards(page)
    assert rooms and all(room.region == "홍대" and room.fear <= 1 for room in rooms)
    expect(page.locator(".suggestions")).to_have_count(0)  # the answered chips are gone


def test_the_signed_out_page_leads_through_log_in_back_to_the_question(new_page):
    small_catalogue_build(embed=True)
    UserFactory(username="guest")
    page = new_page(**PHONE)
    page.goto("/")
    expect(page.get_by_text("대화를 시작하려면 로그인해 주세요.")).to_be_visible()
    expect(page.get_by_text("연결 중")).to_have_count(0)
    fits_the_phone(page)
    screenshot(page, "chat-signed-out-phone")

    page.get_by_role("link", name="강남 4명 공포 테마").click()
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    page.get_by_label("아이디").fill("guest")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_label("메시지")).to_have_value("강남에서 4명이서 할만한 공포 테마")
    expect(page.locator("#conn")).to_have_text("연결됨")
    assert ChatSession.objects.filter(user__username="guest").count() == 0  # filled in, not sent

    page.add_init_script(RECORDER)
    page.reload()
    expect(page.get_by_label("메시지")).to_have_value("강남에서 4명이서 할만한 공포 테마")
    expect(page.locator("#conn")).to_have_text("연결됨")
    page.get_by_role("button", name="보내기").click()
    wait_done(page, 1)
    assert all(room.region == "강남" for room in last_cards(page))
