"""/me/ and the chat say why a room is picked for this user, from the recommender's signals for them."""

from datetime import date

import pytest
from django.test import Client

from ml.tests.conftest import mlflow_store, mlflow_template  # noqa: F401 - fixtures: a temporary MLflow store
from testing.champions import recommender_champion_train

pytestmark = pytest.mark.django_db


def _taste_world():
    """A 추리 fan who played two 추리 rooms; three players who played the same two rated a third 추리 room 5,
    and others played the rest. The fan's reasons can then only come from their own plays and those players."""
    from testing.factories import ReviewFactory, RoomFactory, StoreFactory, UserFactory

    gangnam, hongdae = StoreFactory(region="강남"), StoreFactory(region="홍대")
    mystery = [RoomFactory(store=gangnam, name=f"추리 {n}", genres=["추리"]) for n in range(4)]
    others = [RoomFactory(store=hongdae, name=f"감성 {n}", genres=["감성"], fear=0) for n in range(4)]
    fan = UserFactory(username="fan")
    for day, room in enumerate(mystery[:2], start=1):
        ReviewFactory(user=fan, room=room, rating=5, played_on=date(2026, 1, day))
    for n in range(3):
        similar = UserFactory(username=f"similar{n}")
        for day, (room, rating) in enumerate(((mystery[0], 5), (mystery[1], 4), (mystery[2], 5)), start=1):
            ReviewFactory(user=similar, room=room, rating=rating, played_on=date(2026, 2, day + n))
    for n in range(4):
        other = UserFactory(username=f"other{n}")
        for day, room in enumerate(others[: 2 + n % 3], start=1):
            ReviewFactory(user=other, room=room, rating=3, played_on=date(2026, 3, day + n))
    return fan, mystery, others


def _champion_register() -> None:
    recommender_champion_train(max_epochs=2, dim=8, max_len=4, ease_l2=1.0)


def test_me_says_why_each_room_suits_me_from_my_plays_and_similar_players():
    fan, _, _ = _taste_world()
    _champion_register()
    client = Client()
    client.force_login(fan)

    response = client.get("/me/")

    picks = {room.name: room.pick_reason for room in response.context["recommendations"]}
    assert "추리 0" not in picks and "추리 1" not in picks  # played: never recommended
    assert picks["추리 2"] == "추리 테마를 자주 하셨고, 비슷한 분들이 높게 평가한(평균 5.0점, 3명) 테마예요."
    assert picks["추리 2"] in response.content.decode()
    # Nobody played the other 추리 room: only the fan's own plays speak for it, never popularity.
    assert picks["추리 3"] == "자주 하신 추리 테마예요."
    assert not any(reason.startswith("후기 ") for reason in picks.values())


def test_chat_recommendations_say_why_for_the_signed_in_user(settings):
    from chat.services import conversation_reply
    from testing.factories import UserFactory

    fan, _, _ = _taste_world()
    _champion_register()
    settings.CHAT_RECOMMENDATION_LIMIT = 3

    reply = conversation_reply(user=fan, session_id=None, text="강남 추리 테마 추천해줘")

    shown = [room.name for room in reply.rooms]
    assert "추리 2" in shown and "추리 0" not in shown and "추리 1" not in shown
    line = next(line for line in reply.reply.splitlines() if "추리 2 (" in line)
    assert line.endswith(". 추리 테마를 자주 하셨고, 비슷한 분들이 높게 평가한(평균 5.0점, 3명) 테마예요.")

    # Someone with no plays and no preferences gets the facts and no reason: nothing personal is known.
    newcomer = UserFactory(username="newcomer")
    plain = conversation_reply(user=newcomer, session_id=None, text="강남 추리 테마 추천해줘")
    assert plain.rooms and "자주 하" not in plain.reply and "비슷한 분들" not in plain.reply
