"""The play log and parties in Chromium against the live ASGI server: log a play from a room page and see it on
내 기록 with its charts; make a party, join it as a second user; ask the chat in party mode and get rooms neither
of them played, sized for the party. Screenshots at 1280 and 360 px under var/screenshots/."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from accounts.models import User
from plays.models import Party, Play
from plays.services import play_log
from rooms.models import Room
from testing.factories import small_catalogue_build
from web.tests.conftest import screenshot
from web.tests.test_browser_e2e import RECORDER, ask, signup, wait_done

pytestmark = pytest.mark.browser


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page scrolls sideways"


def test_play_log_party_and_party_mode_chat(new_page):
    rooms = small_catalogue_build(embed=True)
    jiyeon = new_page()
    jiyeon.add_init_script(RECORDER)
    signup(jiyeon, "jiyeon")

    # 플레이했어요 on a room's page.
    sherlock = rooms["셜록의 서재"]
    jiyeon.goto(f"/rooms/{sherlock.id}/")
    played = jiyeon.locator("#played")
    expect(played.get_by_role("heading", level=2)).to_have_text("플레이했어요")
    played.get_by_label("플레이 날짜").fill("2025-04-05")
    played.get_by_label("힌트 수 (선택)").fill("1")
    played.get_by_label("남은 시간(분) (선택)").fill("12")
    played.get_by_label("탈출 성공").check()
    played.get_by_role("button", name="플레이했어요").click()
    expect(jiyeon.get_by_role("status").first).to_contain_text("플레이 기록을 남겼어요")
    expect(jiyeon.locator("#played")).to_contain_text("2025.4.5 플레이")
    play = Play.objects.get(user__username="jiyeon", room=sherlock)
    assert (play.played_on, play.escaped, play.hints_used, play.minutes_left) == (date(2025, 4, 5), True, 1, 12)

    # 내 기록: the play, the stats and the charts.
    jiyeon.get_by_role("link", name="내 기록", exact=True).click()
    expect(jiyeon.locator(f"#play-{play.id}")).to_contain_text("셜록의 서재")
    expect(jiyeon.locator(f"#play-{play.id}")).to_contain_text("탈출 성공")
    expect(jiyeon.locator("#kpi-played")).to_have_text("1")
    for chart in ("escape-by-difficulty", "genres-played", "plays-by-month"):
        expect(jiyeon.locator(f"#chart-{chart}")).to_have_attribute("data-rendered", "true")
        expect(jiyeon.locator(f"#chart-{chart} svg")).to_have_count(1)
    expect(jiyeon.locator("#chart-genres-played svg")).to_contain_text("추리")
    expect(jiyeon.locator("#chart-escape-by-difficulty svg")).to_contain_text("난이도 3")
    screenshot(jiyeon, "my-plays")

    # A party, and its invite code.
    jiyeon.get_by_role("link", name="내 파티", exact=False).first.click()
    jiyeon.get_by_label("파티 이름").fill("목요일팟")
    jiyeon.get_by_role("button", name="파티 만들기").click()
    expect(jiyeon.get_by_role("heading", level=1)).to_have_text("목요일팟")
    code = jiyeon.locator("#invite-code").inner_text()
    party = Party.objects.get(name="목요일팟")
    assert code == party.invite_code

    # Someone else joins with the code, having played 우주정거장 K.
    minsu = new_page()
    signup(minsu, "minsu")
    play_log(
        user=User.objects.get(username="minsu"), room=rooms["우주정거장 K"], played_on=date(2025, 2, 1), escaped=False
    )
    minsu.goto("/me/parties/")
    minsu.get_by_role("textbox", name="초대 코드").fill(code.lower())
    minsu.get_by_role("button", name="들어가기").click()
    expect(minsu.get_by_role("heading", level=1)).to_have_text("목요일팟")
    expect(minsu.locator("#party-members")).to_contain_text("jiyeon")
    expect(minsu.locator("#party-members")).to_contain_text("minsu")
    assert party.memberships.count() == 2

    # The party's page, then the chat in party mode.
    jiyeon.reload()
    expect(jiyeon.locator("#party-members li")).to_have_count(2)
    recommended = jiyeon.locator("#party-recommendations .room-card")
    expect(recommended.first).to_be_visible()
    shown = set(recommended.locator(".room-card__name").all_inner_texts())
    assert shown and not shown & {"셜록의 서재", "우주정거장 K"}
    screenshot(jiyeon, "party")
    jiyeon.get_by_role("link", name="이 파티로 채팅하기").click()
    expect(jiyeon.locator("#party-picker")).to_have_value(str(party.id))
    expect(jiyeon.locator("#conn")).to_have_text("연결됨")
    ask(jiyeon, "강남 테마 추천해줘")
    wait_done(jiyeon, 1)
    cards = jiyeon.locator(".rec-list .room-card")
    expect(cards.first).to_be_visible()
    room_ids = [int(value) for value in cards.evaluate_all("cards => cards.map(c => c.dataset.roomId)")]
    assert room_ids
    for room in Room.objects.filter(id__in=room_ids):
        assert room.region == "강남"
        assert room.name not in ("셜록의 서재", "우주정거장 K")  # neither of them played it
        assert room.min_players <= 2 <= room.max_players  # sized for the party
    expect(jiyeon.locator(".bubble--assistant").last).to_contain_text("파티 '목요일팟' 모두 안 해 본 테마로")
    expect(jiyeon.locator("#chips")).to_contain_text("파티 목요일팟 · 2명")
    screenshot(jiyeon, "chat-party")

    # 360 px: the same pages, nothing sideways.
    jiyeon.set_viewport_size({"width": 360, "height": 780})
    no_sideways_scroll(jiyeon)
    screenshot(jiyeon, "chat-party-360")
    for path, name in (("/me/plays/", "my-plays-360"), (f"/me/parties/{party.id}/", "party-360")):
        jiyeon.goto(path)
        expect(jiyeon.get_by_role("heading", level=1)).to_be_visible()
        no_sideways_scroll(jiyeon)
        screenshot(jiyeon, name)
    jiyeon.goto(f"/rooms/{sherlock.id}/")
    no_sideways_scroll(jiyeon)
    screenshot(jiyeon, "room-played-360")

    # Back to one person: the picker's 혼자 removes the party from the conversation.
    jiyeon.set_viewport_size({"width": 1280, "height": 860})
    session_url = re.compile(r"\?session=\d+")
    jiyeon.goto("/me/")
    jiyeon.get_by_role("region", name="내 대화").get_by_role("link").first.click()
    expect(jiyeon).to_have_url(session_url)
    expect(jiyeon.locator("#chips")).to_contain_text("파티 목요일팟")
    jiyeon.locator("#party-picker").select_option("")
    expect(jiyeon.locator("#chips")).not_to_contain_text("파티 목요일팟")
