"""A room's page in Chromium: the spoiler-free review summary, and spoiler reviews hidden until clicked."""

import pytest
from playwright.sync_api import expect

from rooms.summaries import room_summary_build
from testing.factories import ReviewFactory, RoomFactory, StoreFactory
from web.tests.conftest import screenshot

pytestmark = pytest.mark.browser

CLEAN = [
    ("인테리어가 예뻐서 사진 찍고 싶었어요. 무서워서 소리 지르면서 했어요.", 5),
    ("연출이 좋아서 몰입감이 대단했어요. 무서워서 소리 지르면서 했어요.", 5),
    ("직원분이 친절하게 안내해 주셨어요. 문제가 너무 어려웠어요.", 4),
    ("관리 상태가 아쉬웠어요. 그래도 공포 좋아하는 친구들에게 추천해요.", 3),
]
SPOILER = "범인은 인형 가게 주인이에요. 마지막 자물쇠 번호는 0427이에요."


@pytest.mark.parametrize("width", [1280, 360])
def test_room_page_shows_the_summary_and_hides_spoilers_until_clicked(new_page, width):
    store = StoreFactory(name="비밀의열쇠 강남점", region="강남")
    room = RoomFactory(store=store, name="저주받은 인형", genres=["공포"], fear=4, difficulty=4)
    for text, rating in CLEAN:
        ReviewFactory(room=room, text=text, rating=rating)
    ReviewFactory(room=room, text=SPOILER, rating=5)
    ReviewFactory(room=room, text="주인공 동생이 다 꾸몄어요.", rating=4, spoiler=True)
    assert room_summary_build(room_id=room.id)

    page = new_page(width=width)
    page.goto(f"/rooms/{room.id}/")
    summary = page.locator("#summary")
    expect(summary.get_by_role("heading", name="후기 요약")).to_be_visible()
    expect(summary).to_contain_text("인테리어가 예뻐서 사진 찍고 싶었어요.")
    expect(summary).to_contain_text("관리 상태가 아쉬웠어요.")
    expect(summary).to_contain_text("공포도: 무서운 편")
    expect(summary).not_to_contain_text("범인")

    spoilers = page.locator("details.spoiler")
    expect(spoilers).to_have_count(2)
    hidden = page.get_by_text(SPOILER)
    expect(hidden).to_be_hidden()
    expect(page.get_by_text("주인공 동생이 다 꾸몄어요.")).to_be_hidden()
    # No horizontal scrolling at a phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"room-summary-{width}")

    page.locator("details.spoiler").first.get_by_text("스포일러가 있는 후기예요").click()
    visible = page.locator("details.spoiler[open] .review__text")
    expect(visible).to_have_count(1)
    expect(visible).to_be_visible()
    screenshot(page, f"room-summary-{width}-spoiler-open")


def test_chat_cards_show_the_summary_line(new_page):
    from rooms.models import Room
    from testing.factories import UserFactory, small_catalogue_build
    from web.tests.test_browser_conversation import login
    from web.tests.test_browser_e2e import RECORDER, ask, wait_done

    small_catalogue_build(embed=True)
    Room.objects.filter(region="강남").update(review_summary_line="좋았던 점 연출·인테리어 · 무서운")
    UserFactory(username="cards")
    page = new_page(width=360, height=740)
    page.add_init_script(RECORDER)
    login(page, "cards")
    ask(page, "강남에서 4명이서 할만한 공포 테마")
    wait_done(page, 1)
    lines = page.locator(".bubble-row--assistant").last.locator(".room-card__summary")
    expect(lines.first).to_have_text("좋았던 점 연출·인테리어 · 무서운")
    assert lines.count() == page.locator(".bubble-row--assistant").last.locator(".room-card").count()
    screenshot(page, "chat-cards-summary-360")
