"""The 내 기록 and party pages: 플레이했어요 on a room's page, the list with filters and charts, CSV import with its
bad lines, parties made and joined by code, their recommendations, and the chat page's party picker."""

import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from plays.models import Party, Play
from plays.services import party_create, play_log
from testing.factories import UserFactory, small_catalogue_build

pytestmark = pytest.mark.django_db

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def rooms():
    return small_catalogue_build()


def page_for(user) -> Client:
    client = Client(headers={"Accept": BROWSER_ACCEPT})
    client.force_login(user)
    return client


def test_played_from_a_room_page_then_seen_on_my_plays_with_charts(user, rooms):
    page = page_for(user)
    room = rooms["셜록의 서재"]
    detail = page.get(f"/rooms/{room.id}/")
    assert "플레이했어요" in detail.content.decode()
    response = page.post(
        f"/rooms/{room.id}/played/",
        {"played_on": "2025-04-05", "escaped": "on", "hints_used": "1", "minutes_left": "12", "note": "재밌었다"},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"/rooms/{room.id}/#played")
    play = Play.objects.get(user=user, room=room)
    assert (play.played_on, play.escaped, play.hints_used, play.minutes_left) == (date(2025, 4, 5), True, 1, 12)
    again = page.get(f"/rooms/{room.id}/").content.decode()
    assert "플레이 기록" in again and "2025.4.5 플레이" in again and "기록 고치기" in again

    mine = page.get("/me/plays/")
    body = mine.content.decode()
    assert mine.status_code == 200 and "셜록의 서재" in body and "12분 남김" in body
    charts = mine.context["charts"]
    assert [chart["id"] for chart in charts] == ["escape-by-difficulty", "genres-played", "plays-by-month"]
    assert charts[0]["series"][0]["points"] == [{"label": "난이도 3", "value": 100.0}]
    assert charts[1]["series"][0]["points"] == [{"label": "추리", "value": 1}]
    embedded = json.loads(body.split('id="insight-charts" type="application/json">')[1].split("</script>")[0])
    assert embedded == charts  # the specs static/js/charts.js draws
    assert 'src="/static/js/charts.js"' in body


def test_a_future_date_on_the_room_page_is_refused_in_korean(user, rooms):
    room = rooms["셜록의 서재"]
    response = page_for(user).post(f"/rooms/{room.id}/played/", {"played_on": "2999-01-01"})
    assert response.status_code == 400 and "오늘 이후일 수 없습니다" in response.content.decode()
    assert not Play.objects.exists()


def test_my_plays_filters_edit_and_delete(user, rooms):
    for name, day in (("셜록의 서재", date(2024, 3, 1)), ("홍대 흉가", date(2025, 3, 1))):
        play_log(user=user, room=rooms[name], played_on=day, escaped=False)
    page = page_for(user)
    by_region = page.get("/me/plays/", {"region": "홍대"})
    assert [play.room.name for play in by_region.context["page"]] == ["홍대 흉가"]
    by_year = page.get("/me/plays/", {"year": "2024"})
    assert [play.room.name for play in by_year.context["page"]] == ["셜록의 서재"]
    assert page.get("/me/plays/", {"genre": "없는장르"}).status_code == 400

    play = Play.objects.get(room=rooms["홍대 흉가"])
    page.post(f"/me/plays/{play.id}/edit/", {"played_on": "2025-03-02", "escaped": "on", "hints_used": "0"})
    play.refresh_from_db()
    assert play.escaped is True and play.played_on == date(2025, 3, 2)
    other = page_for(UserFactory())
    assert other.post(f"/me/plays/{play.id}/delete/").status_code == 404
    assert page.post(f"/me/plays/{play.id}/delete/").status_code == 302
    assert not Play.objects.filter(id=play.id).exists()


def test_csv_import_on_the_page_lists_bad_lines_and_imports_nothing(user, rooms):
    page = page_for(user)
    bad = SimpleUploadedFile(
        "log.csv", "폐병원 403호,비밀의방 강남점,2025-01-04,성공,2\n없는 테마,없는 가게,2025-01-05,실패,1\n".encode()
    )
    response = page.post("/me/plays/import/", {"file": bad})
    assert response.status_code == 400
    body = response.content.decode()
    assert "2번째 줄" in body and "찾지 못했어요" in body and "아무것도 가져오지 않았어요" in body
    assert not Play.objects.exists()
    # Excel in Korea saves CP949: read as well.
    good = SimpleUploadedFile("log.csv", "폐병원 403호,비밀의방 강남점,2025-01-04,성공,2\n".encode("cp949"))
    assert page.post("/me/plays/import/", {"file": good}).status_code == 302
    assert Play.objects.get(user=user).room == rooms["폐병원 403호"]
    pasted = page.post("/me/plays/import/", {"text": "연남동 연애편지,넥스트에디션 홍대,2025-02-14,O,0"})
    assert pasted.status_code == 302 and Play.objects.filter(user=user).count() == 2
    empty = page.post("/me/plays/import/", {})
    assert empty.status_code == 400 and "CSV 파일을 고르거나" in empty.content.decode()


def test_party_pages_create_join_and_recommend(user, rooms):
    page = page_for(user)
    created = page.post("/me/parties/new/", {"name": "금요일팟"})
    party = Party.objects.get(name="금요일팟")
    assert created.status_code == 302 and created["Location"] == f"/me/parties/{party.id}/"

    friend = UserFactory(username="friend", disliked_genres=["공포"])
    friend_page = page_for(friend)
    joined = friend_page.post("/me/parties/join/", {"invite_code": party.invite_code.lower()})
    assert joined.status_code == 302
    wrong = friend_page.post("/me/parties/join/", {"invite_code": "NOPE0000"})
    assert wrong.status_code == 400 and "초대 코드에 맞는 파티가 없습니다" in wrong.content.decode()

    play_log(user=friend, room=rooms["셜록의 서재"], played_on=date(2025, 1, 1), escaped=True)
    detail = page.get(f"/me/parties/{party.id}/")
    body = detail.content.decode()
    assert detail.status_code == 200 and party.invite_code in body and "friend" in body
    picks = [pick.room.name for pick in detail.context["answer"].picks]
    assert picks and "셜록의 서재" not in picks
    for pick in detail.context["answer"].picks:
        assert "공포" not in pick.room.genres and pick.room.min_players <= 2 <= pick.room.max_players
    assert "friend: 공포 싫어함 → 공포 제외" in body
    assert page_for(UserFactory()).get(f"/me/parties/{party.id}/").status_code == 404

    chat = page.get("/", {"party": party.id}).content.decode()
    assert f'data-party-id="{party.id}"' in chat and 'id="party-picker"' in chat
    assert f'<option value="{party.id}" selected>금요일팟</option>' in chat

    assert friend_page.post(f"/me/parties/{party.id}/leave/").status_code == 302
    assert page_for(friend).get(f"/me/parties/{party.id}/").status_code == 404


def test_a_user_without_parties_gets_a_link_to_make_one(user, rooms):
    chat = page_for(user).get("/").content.decode()
    assert 'href="/me/parties/"' in chat and 'id="party-picker"' not in chat
    party_create(user=user, name="첫 파티")
    assert 'id="party-picker"' in page_for(user).get("/").content.decode()
