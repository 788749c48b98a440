"""The WebSocket takes a time window like the API: checked the same way, an error frame when it is wrong."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from chat.nlu.when import when_parse
from chat.tests.test_consumer import communicator, converse
from testing.factories import TimeSlotFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token(user) -> str:
    from accounts.tokens import tokens_issue

    return tokens_issue(user=user)["access"]


async def test_a_window_filters_the_cards_and_a_bad_one_is_an_error_frame(committed_catalogue, token):
    when = when_parse("이번 주 토요일 저녁 7시쯤")
    forest = committed_catalogue["검은 숲"]
    slot = await database_sync_to_async(TimeSlotFactory)(room=forest, starts_at=when.start)
    comm = communicator(f"/ws/chat/?token={token}")
    assert (await comm.connect())[0]
    bad = {"message": "강남", "available_from": "2026-12-05T19:00", "available_to": "2026-12-05T18:00"}
    assert await converse(comm, bad, timeout=30) == [
        {"type": "error", "message": "끝 시각(available_to)은 시작 시각(available_from)보다 뒤여야 합니다."}
    ]
    wrong_type = await converse(comm, {"message": "강남", "available_from": 5}, timeout=30)
    assert wrong_type[0]["type"] == "error" and "형식" in wrong_type[0]["message"]
    frames = await converse(
        comm,
        {"message": "강남 공포", "available_from": when.start.isoformat(), "available_to": when.end.isoformat()},
    )
    (cards,) = [frame["rooms"] for frame in frames if frame["type"] == "recommendations"]
    assert [card["name"] for card in cards] == ["검은 숲"]
    assert cards[0]["slots"][0]["id"] == slot.id
    await comm.disconnect()
