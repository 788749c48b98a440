"""A time in the chat, in a browser: "이번 주 토요일 저녁 7시쯤 강남 공포 4명" gives cards of the rooms open then, each
with its open Saturday slots around 19:00 linking to the slot's booking page, and a chip for the time."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from chat.nlu.when import SEOUL, when_parse
from rooms.models import TimeSlot
from testing.factories import TimeSlotFactory, UserFactory, small_catalogue_build
from web.tests.test_browser_conversation import PHONE, fits_the_phone, last_cards, login
from web.tests.test_browser_e2e import RECORDER, ask, wait_done

pytestmark = pytest.mark.browser
QUESTION = "이번 주 토요일 저녁 7시쯤 강남 공포 4명"


def slot_links(page) -> list[dict]:
    return (
        page.locator(".bubble-row--assistant")
        .last.locator(".room-card__slot")
        .evaluate_all(
            "links => links.map(a => ({room: Number(a.dataset.roomId), slot: Number(a.dataset.slotId),"
            " href: a.getAttribute('href'), text: a.textContent}))"
        )
    )


def test_saturday_evening_cards_link_to_their_open_slots(new_page):
    rooms = small_catalogue_build(embed=True)
    when = when_parse(QUESTION)
    seven = when.start + timedelta(hours=1)  # the window is 18:00-20:00 around 19:00
    hospital, doll, forest, surgery = (
        rooms["폐병원 403호"],
        rooms["저주받은 인형"],
        rooms["검은 숲의 의식"],
        rooms["마지막 수술"],
    )
    own_page = "https://booking.example.com/gangnam/slot/1850"
    hospital_slots = [
        TimeSlotFactory(room=hospital, starts_at=seven - timedelta(minutes=10), booking_url=own_page),
        TimeSlotFactory(room=hospital, starts_at=seven),
        TimeSlotFactory(room=hospital, starts_at=seven + timedelta(minutes=40)),
    ]
    TimeSlotFactory(room=hospital, starts_at=seven + timedelta(hours=2, minutes=30))  # 21:30: outside
    TimeSlotFactory(room=doll, starts_at=seven + timedelta(days=1))  # Sunday only: not shown
    TimeSlotFactory(room=forest, starts_at=seven + timedelta(minutes=20), status=TimeSlot.Status.BOOKED)
    forest_open = TimeSlotFactory(room=forest, starts_at=seven + timedelta(minutes=30))
    TimeSlotFactory(room=surgery, starts_at=seven)  # open, but for two or three players
    UserFactory(username="saturday")
    page = new_page(**PHONE)
    page.add_init_script(RECORDER)
    login(page, "saturday")

    ask(page, QUESTION)
    wait_done(page, 1)
    cards = last_cards(page)
    assert {room.name for room in cards} == {"폐병원 403호", "검은 숲의 의식"}
    expect(page.locator("#chips")).to_contain_text("19시 전후")
    links = slot_links(page)
    expected = {
        slot.id: (slot.room_id, slot.booking_url or slot.room.store.booking_url)
        for slot in [*hospital_slots, forest_open]
    }
    assert {link["slot"]: (link["room"], link["href"]) for link in links} == expected
    for link in links:
        slot = TimeSlot.objects.get(id=link["slot"])
        local = slot.starts_at.astimezone(SEOUL)
        assert local.weekday() == 5 and 18 <= local.hour < 20  # Saturday, around 19:00
        assert link["text"].startswith("토 ") and f"{local:%H:%M}" in link["text"]
    assert "19시 전후" in page.locator(".bubble--assistant").last.inner_text()
    fits_the_phone(page)

    # The page rendered on the server after a reload shows the same slots on the last answer's cards.
    page.reload()
    expect(page.locator("#conn")).to_have_text("연결됨")
    reloaded = slot_links(page)
    assert {link["slot"] for link in reloaded} == set(expected)
