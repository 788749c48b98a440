"""Party mode over the socket: `party_id` in the message frame, the party in the state frame (the chip)."""

from datetime import date

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator

from chat.consumers import ChatConsumer
from plays.models import Play
from plays.services import party_create, party_join
from testing.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True)]


async def test_the_socket_takes_party_id_and_the_state_shows_the_party(committed_catalogue):
    def build():
        owner = UserFactory(username="owner")
        friend = UserFactory(username="friend")
        made = party_create(user=owner, name="소켓팟")
        party_join(user=friend, invite_code=made.invite_code)
        Play.objects.create(user=friend, room=committed_catalogue["사라진 화가"], played_on=date(2025, 1, 1))
        return owner, made

    owner, made = await sync_to_async(build)()
    communicator = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/chat/")
    communicator.scope["user"] = owner
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"message": "홍대 테마 추천해줘", "party_id": made.id})
    frames = []
    while not frames or frames[-1]["type"] not in ("done", "error"):
        frames.append(await communicator.receive_json_from(timeout=30))
    rooms = next(frame["rooms"] for frame in frames if frame["type"] == "recommendations")
    assert rooms and "사라진 화가" not in {room["name"] for room in rooms}
    assert all(room["min_players"] <= 2 <= room["max_players"] for room in rooms)
    await communicator.send_json_to({"type": "state.get", "session_id": frames[-1]["session_id"]})
    state = await communicator.receive_json_from(timeout=10)
    assert state["state"]["party"] == {"id": made.id, "name": "소켓팟", "size": 2}
    # The chip's ✕: the party leaves the state.
    await communicator.send_json_to({"type": "state.remove", "session_id": frames[-1]["session_id"], "slot": "party"})
    state = await communicator.receive_json_from(timeout=10)
    assert state["state"]["party"] is None
    await communicator.send_json_to({"message": "x", "party_id": True})
    assert (await communicator.receive_json_from(timeout=10))["message"] == "party_id는 정수여야 합니다."
    await communicator.disconnect()
