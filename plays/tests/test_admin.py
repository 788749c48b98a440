"""Staff see play logs and parties in the admin; nobody adds or edits them there (the services do)."""

from datetime import date

import pytest
from django.test import Client

from plays.services import party_create, party_join, play_log
from testing.factories import RoomFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_staff_browse_plays_and_parties_but_cannot_add_them(staff_user):
    player = UserFactory(username="player")
    play, _ = play_log(user=player, room=RoomFactory(name="비밀의 방"), played_on=date(2025, 1, 2), escaped=True)
    party = party_create(user=player, name="관리자도 보는 파티")
    party_join(user=UserFactory(username="friend"), invite_code=party.invite_code)
    staff_user.is_superuser = True
    staff_user.save()
    client = Client()
    client.force_login(staff_user)

    plays = client.get("/admin/plays/play/", {"q": "player"})
    assert plays.status_code == 200 and "비밀의 방" in plays.content.decode()
    parties = client.get("/admin/plays/party/")
    assert parties.status_code == 200 and party.invite_code in parties.content.decode()
    detail = client.get(f"/admin/plays/party/{party.id}/change/")
    assert detail.status_code == 200 and "friend" in detail.content.decode()
    assert client.get("/admin/plays/play/add/").status_code == 403
    assert client.get("/admin/plays/party/add/").status_code == 403
    assert client.get(f"/admin/plays/play/{play.id}/change/").status_code == 200
