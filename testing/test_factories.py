"""The factories leave rows as production would: indexed rooms, exact ratings, usable passwords."""

import pytest

from rooms.models import Room
from testing.factories import (
    PASSWORD,
    ChatMessageFactory,
    ReviewFactory,
    RoomFactory,
    StoreFactory,
    UserFactory,
    catalogue_build,
)

pytestmark = pytest.mark.django_db


def test_user_logs_in_with_the_default_password():
    user = UserFactory()
    assert user.check_password(PASSWORD)
    assert UserFactory(password="other-Secret1").check_password("other-Secret1")  # noqa: S106


def test_room_takes_its_stores_region_and_is_indexed_but_embedded_only_on_request():
    store = StoreFactory(name="인덱스 홍대점", region="홍대")
    room = RoomFactory(store=store, name="유령 병원", description="비명이 들리는 병원.")
    assert room.region == "홍대"
    assert {"유령", "병원", "홍대"} <= set(str(room.search_vector).replace("'", " ").split())
    assert room.embedding is None and room.embedding_dirty
    embedded = RoomFactory(store=store, embed=True)
    assert embedded.embedding is not None and not embedded.embedding_dirty


def test_reviews_keep_the_rooms_rating_exact():
    room = RoomFactory(rating=4.0, review_count=10)
    assert room.rating_sum == 40
    ReviewFactory(room=room, rating=1)
    assert (room.review_count, room.rating_sum, room.rating) == (11, 41, pytest.approx(41 / 11, abs=1e-4))
    assert Room.objects.get(id=room.id).review_count == 11


def test_catalogue_is_by_name_in_order_and_a_message_makes_its_session_and_user():
    catalogue = catalogue_build([{"name": "가"}, {"name": "나", "fear": 5}], activity=4)
    assert list(catalogue) == ["가", "나"]
    assert catalogue["나"].fear == 5 and {room.activity for room in catalogue.values()} == {4}
    message = ChatMessageFactory(text="강남 공포")
    assert message.session.user.pk is not None and message.role == "user"
