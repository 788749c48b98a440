"""Parties: create (201 with an invite code), join with the code, members only (404 for anyone else), the owner
removes members, anyone leaves (the owner's role passes on; the last one out ends the party)."""

import json

import pytest
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from accounts.tokens import tokens_issue
from analytics.buffer import key
from plays.models import PARTY_MAX_MEMBERS, Party, PartyMember
from testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=user)['access']}")
    return client


@pytest.fixture
def people(db):
    return {name: UserFactory(username=name) for name in ("jiyeon", "minsu", "sua", "outsider")}


def test_create_join_and_read_a_party(people, django_capture_on_commit_callbacks):
    jiyeon, minsu = client_for(people["jiyeon"]), client_for(people["minsu"])
    with django_capture_on_commit_callbacks(execute=True):
        created = jiyeon.post("/parties", {"name": "  목요일   방탈출팟 "}, format="json")
    assert created.status_code == 201
    party = created.json()
    assert party["name"] == "목요일 방탈출팟"
    assert len(party["invite_code"]) == 8 and party["invite_code"].isalnum()
    assert [(m["username"], m["is_owner"]) for m in party["members"]] == [("jiyeon", True)]
    assert party["owner_id"] == people["jiyeon"].id
    events = [json.loads(raw) for raw in get_redis_connection("default").lrange(key("buffer"), 0, -1)]
    assert [(e["type"], e["payload"]) for e in events if e["type"] == "party.created"] == [
        ("party.created", {"party_id": party["id"]})
    ]

    # Codes are typed loosely: lower case, spaces and a hyphen in the middle are fine.
    code = party["invite_code"]
    typed = f" {code[:4].lower()}-{code[4:]} "
    joined = minsu.post("/parties/join", {"invite_code": typed}, format="json")
    assert joined.status_code == 201
    assert [m["username"] for m in joined.json()["members"]] == ["jiyeon", "minsu"]
    again = minsu.post("/parties/join", {"invite_code": code}, format="json")
    assert again.status_code == 200 and len(again.json()["members"]) == 2

    assert minsu.get(f"/parties/{party['id']}").json()["name"] == "목요일 방탈출팟"
    assert [p["id"] for p in minsu.get("/parties").json()["results"]] == [party["id"]]


def test_a_party_is_visible_to_its_members_only(people):
    jiyeon, outsider = client_for(people["jiyeon"]), client_for(people["outsider"])
    party = jiyeon.post("/parties", {"name": "비밀 파티"}, format="json").json()
    for method, path in (
        ("get", f"/parties/{party['id']}"),
        ("get", f"/parties/{party['id']}/recommendations"),
        ("post", f"/parties/{party['id']}/leave"),
        ("delete", f"/parties/{party['id']}/members/{people['jiyeon'].id}"),
    ):
        response = getattr(outsider, method)(path)
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.json()["detail"] == "파티를 찾을 수 없습니다."
    # An id that does not exist answers the same: ids cannot be probed.
    assert outsider.get("/parties/999999").json() == jiyeon.get("/parties/999999").json()
    assert outsider.get("/parties").json()["count"] == 0
    assert PartyMember.objects.filter(party_id=party["id"]).count() == 1


def test_bad_codes_and_names_are_answered_in_korean(people):
    jiyeon = client_for(people["jiyeon"])
    unknown = jiyeon.post("/parties/join", {"invite_code": "ZZZZZZZZ"}, format="json")
    assert unknown.status_code == 404 and "초대 코드" in unknown.json()["detail"]
    blank = jiyeon.post("/parties", {"name": "   "}, format="json")
    assert blank.status_code == 400 and "파티 이름" in blank.json()["detail"]
    long = jiyeon.post("/parties", {"name": "가" * 41}, format="json")
    assert long.status_code == 400 and "40자" in long.json()["detail"]
    assert not Party.objects.exists()


def test_a_full_party_refuses_another_member(people):
    owner = people["jiyeon"]
    party = client_for(owner).post("/parties", {"name": "대규모"}, format="json").json()
    for n in range(PARTY_MAX_MEMBERS - 1):
        response = client_for(UserFactory()).post("/parties/join", {"invite_code": party["invite_code"]}, format="json")
        assert response.status_code == 201, n
    refused = client_for(people["minsu"]).post("/parties/join", {"invite_code": party["invite_code"]}, format="json")
    assert refused.status_code == 409 and "가득" in refused.json()["detail"]
    assert PartyMember.objects.filter(party_id=party["id"]).count() == PARTY_MAX_MEMBERS


def test_the_owner_removes_members_and_anyone_leaves(people):
    jiyeon, minsu, sua = (client_for(people[name]) for name in ("jiyeon", "minsu", "sua"))
    party = jiyeon.post("/parties", {"name": "주말팟"}, format="json").json()
    for client in (minsu, sua):
        client.post("/parties/join", {"invite_code": party["invite_code"]}, format="json")
    path = f"/parties/{party['id']}"

    # A member who is not the owner cannot remove someone else.
    refused = minsu.delete(f"{path}/members/{people['sua'].id}")
    assert refused.status_code == 403 and "방장만" in refused.json()["detail"]
    # The owner can; the removed member then sees nothing.
    assert jiyeon.delete(f"{path}/members/{people['sua'].id}").status_code == 204
    assert sua.get(path).status_code == 404
    assert jiyeon.delete(f"{path}/members/{people['sua'].id}").status_code == 404  # not a member any more

    # The owner leaves: the longest-standing member takes over; the last one out ends the party.
    assert jiyeon.post(f"{path}/leave").status_code == 204
    body = minsu.get(path).json()
    assert body["owner_id"] == people["minsu"].id and [m["username"] for m in body["members"]] == ["minsu"]
    assert minsu.delete(f"{path}/members/{people['minsu'].id}").status_code == 204  # removing oneself is leaving
    assert not Party.objects.filter(id=party["id"]).exists()
