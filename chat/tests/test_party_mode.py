"""The play log and parties in the chat: a played room never comes back (said once), and party mode plans for the
whole party (no member played it, it takes the party, every member's limits hold)."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from accounts.tokens import tokens_issue
from chat.models import ChatSession
from plays.services import party_create, party_join, play_log
from testing.factories import ReviewFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=user)['access']}")
    return client


def ask(client, message: str, **extra) -> dict:
    response = client.post("/chat/", {"message": message, **extra}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def names(body: dict) -> list[str]:
    return [room["name"] for room in body["recommendations"]]


def test_a_played_room_never_comes_back_and_the_reply_says_so_once(user, catalogue):
    client = client_for(user)
    before = ask(client, "강남 공포 테마 추천해줘")
    assert "검은 숲" in names(before)  # the best-rated horror room in 강남, before it was played

    play_log(user=user, room=catalogue["검은 숲"], played_on=date(2025, 5, 1), escaped=True)
    ReviewFactory(user=user, room=catalogue["시간 여행자의 서재"], rating=4)  # a review is a play too

    first = ask(client, "강남 공포 테마 추천해줘")
    assert "검은 숲" not in names(first) and names(first)
    assert first["reply"].startswith("이미 플레이하신 '검은 숲'은 뺐어요.")
    again = ask(client, "강남에서 다른 공포 테마", session_id=first["session_id"])
    assert "검은 숲" not in names(again)
    assert "이미 플레이하신" not in again["reply"]  # said once per session
    # A broader question in a new conversation leaves out the reviewed room as well, and says so.
    broad = ask(client, "강남 테마 추천해줘")
    assert {"검은 숲", "시간 여행자의 서재"}.isdisjoint(names(broad)) and names(broad)
    assert broad["reply"].startswith("이미 플레이하신 '검은 숲', '시간 여행자의 서재'는 뺐어요.")


@pytest.fixture
def party(user, catalogue):
    """minji (owner), jiho (played 탐정 사무소, dislikes 공포) and sua (a 쫄보: fear at most 1)."""
    jiho = UserFactory(username="jiho", disliked_genres=["공포"])
    sua = UserFactory(username="sua", max_fear=1)
    party = party_create(user=user, name="목요일팟")
    for member in (jiho, sua):
        party_join(user=member, invite_code=party.invite_code)
    play_log(user=jiho, room=catalogue["탐정 사무소"], played_on=date(2025, 3, 3), escaped=False)
    return party


def test_party_mode_by_party_id_respects_every_member(user, catalogue, party):
    client = client_for(user)
    body = ask(client, "홍대 테마 추천해줘", party_id=party.id)
    # 탐정 사무소: jiho played it. 비밀 연구소: four players at least (and fear 2 > sua's 1). Only 사라진 화가 fits.
    assert names(body) == ["사라진 화가"]
    for room in body["recommendations"]:
        assert room["min_players"] <= 3 <= room["max_players"] and room["fear"] <= 1 and "공포" not in room["genres"]
    assert (
        "파티 '목요일팟' 모두 안 해 본 테마로 골랐어요 (3명이 함께 할 수 있는, 공포 제외, 공포도 1 이하)."
        in body["reply"]
    )
    assert "jiho님이 해 본 '탐정 사무소'는 뺐어요." in body["reply"]
    state = ChatSession.objects.get(id=body["session_id"]).state
    assert state["party"] == {"id": party.id, "name": "목요일팟", "size": 3}

    # The party stays for the next turn without party_id; the horror asked for is ruled out by jiho's dislike.
    later = ask(client, "강남 공포 테마", session_id=body["session_id"])
    assert all("공포" not in room["genres"] for room in later["recommendations"])
    assert all(
        room["fear"] <= 1 and room["min_players"] <= 3 <= room["max_players"] for room in later["recommendations"]
    )

    # "파티 말고" leaves party mode: the room jiho played is fine for minji and a friend of hers.
    solo = ask(client, "파티 말고 둘이서 홍대 추리 테마", session_id=body["session_id"])
    assert ChatSession.objects.get(id=body["session_id"]).state["party"] is None
    assert "탐정 사무소" in names(solo)


def test_party_words_switch_to_the_one_party_or_ask_which(user, catalogue, party):
    client = client_for(user)
    one = ask(client, "친구들이랑 홍대 갈 만한 테마 있어?")
    assert ChatSession.objects.get(id=one["session_id"]).state["party"]["id"] == party.id
    assert names(one) == ["사라진 화가"]

    other = party_create(user=user, name="주말 방탈출")
    party_join(user=UserFactory(username="hana"), invite_code=other.invite_code)
    which = ask(client, "친구들이랑 홍대 테마 추천")
    assert (
        "어느 파티와 가시나요?" in which["reply"]
        and "'목요일팟'" in which["reply"]
        and "'주말 방탈출'" in which["reply"]
    )
    assert which["recommendations"] == []
    named = ask(client, "주말방탈출로 홍대 추리 테마", session_id=which["session_id"])
    state = ChatSession.objects.get(id=which["session_id"]).state
    assert state["party"] == {"id": other.id, "name": "주말 방탈출", "size": 2}
    assert "탐정 사무소" in names(named)  # minji and hana have not played it


def test_party_words_without_a_party_point_to_making_one(user, catalogue):
    body = ask(client_for(user), "친구들이랑 홍대 테마 추천해줘")
    assert body["reply"].startswith("파티를 만들어 친구들을 초대하면")
    assert names(body)  # and the recommendations come as usual
    assert ChatSession.objects.get(id=body["session_id"]).state["party"] is None


def test_a_party_one_is_not_in_is_a_404(catalogue, party):
    outsider = client_for(UserFactory())
    response = outsider.post("/chat/", {"message": "홍대 테마", "party_id": party.id}, format="json")
    assert response.status_code == 404 and response.json()["detail"] == "파티를 찾을 수 없습니다."
    bad = outsider.post("/chat/", {"message": "홍대 테마", "party_id": "many"}, format="json")
    assert bad.status_code == 400 and "party_id" in bad.json()["errors"]
    assert not ChatSession.objects.exists()
