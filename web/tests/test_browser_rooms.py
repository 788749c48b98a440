"""Room pages in Chromium: browse with filters, the detail page, writing a review."""

import re

import pytest
from playwright.sync_api import expect

from rooms.models import Review
from testing.factories import UserFactory, small_catalogue_build
from web.tests.conftest import screenshot

pytestmark = pytest.mark.browser

PASSWORD = "Escape!2026"


def test_browse_filter_open_room_and_review(new_page):
    rooms = small_catalogue_build(embed=False)
    UserFactory(username="minji", email="minji@example.com", password=PASSWORD)
    page = new_page()

    page.goto("/rooms/")
    expect(page.locator(".room-card")).to_have_count(len(rooms))
    screenshot(page, "rooms-browse")

    page.get_by_role("combobox", name="지역").select_option("강남")
    page.get_by_role("combobox", name="장르").select_option("공포")
    page.get_by_role("spinbutton", name="인원").fill("4")
    page.get_by_role("button", name="검색").click()
    cards = page.locator(".room-card")
    expect(cards).to_have_count(3)
    for name in page.locator(".room-card__name").all_inner_texts():
        room = rooms[name]
        assert room.region == "강남" and "공포" in room.genres and room.min_players <= 4 <= room.max_players
    screenshot(page, "rooms-browse-filtered")

    page.get_by_role("link", name="폐병원 403호").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("폐병원 403호")
    expect(page.get_by_text("27,000원 / 1인")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("로그인")).last).to_be_visible()

    page.get_by_role("link", name="로그인", exact=True).last.click()
    page.get_by_label("아이디").fill("minji")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("폐병원 403호")

    page.get_by_role("button", name="후기 등록").click()
    expect(page.locator("#id_rating_error")).to_have_text(re.compile("별점을 골라 주세요"))
    page.locator("label[for=rating-4]").click()
    page.get_by_role("textbox", name="후기 (선택)").fill("<b>굵게</b> 연출이 정말 무서웠어요")
    page.get_by_label("탈출에 성공했어요").check()
    page.get_by_role("button", name="후기 등록").click()

    review = page.locator(".review").first
    expect(review).to_contain_text("<b>굵게</b> 연출이 정말 무서웠어요")
    assert page.locator(".review b").count() == 0
    expect(review).to_contain_text("탈출 성공")
    screenshot(page, "room-detail")
    assert Review.objects.get(room=rooms["폐병원 403호"]).rating == 4


def test_browse_with_a_time_window_shows_slot_links(new_page):
    from datetime import timedelta

    from django.utils import timezone

    from testing.factories import TimeSlotFactory

    rooms = small_catalogue_build(embed=False)
    day = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    hospital = rooms["폐병원 403호"]
    for hour in (18, 19, 20, 21):
        TimeSlotFactory(room=hospital, starts_at=day.replace(hour=hour), booking_url=f"https://book.example.com/{hour}")
    TimeSlotFactory(room=rooms["저주받은 인형"], starts_at=day.replace(hour=19), status="booked")
    page = new_page()

    page.goto("/rooms/")
    page.get_by_label("예약 가능 시각부터").fill(f"{day:%Y-%m-%d}T18:00")
    page.get_by_label("까지").fill(f"{day:%Y-%m-%d}T22:00")
    page.get_by_role("button", name="검색").click()
    expect(page.locator(".room-card")).to_have_count(1)
    slots = page.locator(".room-card a.room-card__slot.js-book")
    expect(slots).to_have_count(3)
    expect(slots.first).to_have_attribute("href", "https://book.example.com/18")
    expect(slots.first).to_have_attribute("data-room-id", str(hospital.id))
    expect(slots.first).to_contain_text("18:00")
    screenshot(page, "rooms-browse-slots")
