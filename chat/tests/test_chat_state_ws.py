"""The web chat's chips: the consumer's state.get / state.remove messages change the stored dialogue state."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator

from chat.consumers import ChatConsumer
from chat.models import ChatSession
from testing.factories import ChatSessionFactory, UserFactory, small_catalogue_build

pytestmark = [pytest.mark.django_db(transaction=True)]


async def connect(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(ChatConsumer.as_asgi(), "/ws/chat/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def frames_until_done(communicator) -> list[dict]:
    frames = []
    while True:
        frame = await communicator.receive_json_from(timeout=30)
        frames.append(frame)
        if frame["type"] in ("done", "error"):
            return frames


@pytest.fixture
def users():
    minji = UserFactory(username="minji", email="minji@example.com")
    return minji, UserFactory(username="other", email="other@example.com")


async def test_chips_read_and_remove_conditions_of_the_dialogue_state(users, settings):
    settings.CHAT_RECOMMENDATION_LIMIT = 10
    await sync_to_async(small_catalogue_build)(embed=True)
    user, _ = users
    communicator = await connect(user)

    await communicator.send_json_to({"message": "강남에서 4명이서 할만한 공포 테마"})
    frames = await frames_until_done(communicator)
    session_id = frames[-1]["session_id"]
    rooms = next(frame["rooms"] for frame in frames if frame["type"] == "recommendations")
    assert rooms
    assert {room["region"] for room in rooms} == {"강남"}

    await communicator.send_json_to({"type": "state.get", "session_id": session_id})
    state = await communicator.receive_json_from(timeout=10)
    assert state == {
        "type": "state",
        "session_id": session_id,
        "state": {
            "region": "강남",
            "genres": ["공포"],
            "exclude_genres": [],
            "players": 4,
            "difficulty": None,
            "fear": None,
            "activity": None,
            "max_price": None,
            "party": None,
            "when": None,
        },
    }

    await communicator.send_json_to({"type": "state.remove", "session_id": session_id, "slot": "region"})
    state = await communicator.receive_json_from(timeout=10)
    assert state["state"]["region"] is None
    assert state["state"]["genres"] == ["공포"]
    stored = await sync_to_async(lambda: ChatSession.objects.get(id=session_id).state)()
    assert stored["region"] is None
    assert stored["players"] == 4

    assert stored["any_region"] is True  # a removed region means any region, not "ask me where"
    # The next turn searches without the region: horror rooms for four, in 홍대 too.
    await communicator.send_json_to({"message": "공포 테마 추천해줘", "session_id": session_id})
    frames = await frames_until_done(communicator)
    rooms = next(frame["rooms"] for frame in frames if frame["type"] == "recommendations")
    assert "홍대 흉가" in {room["name"] for room in rooms}
    assert all("공포" in room["genres"] and room["min_players"] <= 4 <= room["max_players"] for room in rooms)

    await communicator.send_json_to(
        {"type": "state.remove", "session_id": session_id, "slot": "genres", "value": "공포"}
    )
    state = await communicator.receive_json_from(timeout=10)
    assert state["state"]["genres"] == []
    assert state["state"]["players"] == 4
    await communicator.disconnect()


async def test_state_messages_reject_bad_input_and_foreign_sessions(users):
    user, other = users
    session = await sync_to_async(ChatSessionFactory)(user=other, state={"region": "홍대"})
    communicator = await connect(user)

    await communicator.send_json_to({"type": "state.get", "session_id": session.id})
    assert await communicator.receive_json_from(timeout=10) == {"type": "error", "message": "대화를 찾을 수 없습니다."}
    await communicator.send_json_to({"type": "state.remove", "session_id": session.id, "slot": "region"})
    assert (await communicator.receive_json_from(timeout=10))["message"] == "대화를 찾을 수 없습니다."
    await communicator.send_json_to({"type": "state.remove", "session_id": "1", "slot": "region"})
    assert (await communicator.receive_json_from(timeout=10))["message"] == "session_id는 정수여야 합니다."
    await communicator.send_json_to({"type": "state.remove", "session_id": session.id, "slot": "asked_clarification"})
    assert (await communicator.receive_json_from(timeout=10))["message"] == "지울 수 없는 조건입니다."

    stored = await sync_to_async(lambda: ChatSession.objects.get(id=session.id).state)()
    assert stored == {"region": "홍대"}
    await communicator.disconnect()


async def test_an_idle_socket_stays_usable(users):
    """The channel layer blocks on Redis for up to 5 s per poll; the Redis client's read timeout must be
    longer, or an idle chat socket dies after a few seconds (redis-py 8 defaults it to 5 s)."""
    import asyncio

    user, _ = users
    session = await sync_to_async(ChatSessionFactory)(user=user, state={"region": "홍대"})
    communicator = await connect(user)

    await asyncio.sleep(7)
    await communicator.send_json_to({"type": "state.get", "session_id": session.id})

    frame = await communicator.receive_json_from(timeout=10)
    assert frame["state"]["region"] == "홍대"
    await communicator.disconnect()
