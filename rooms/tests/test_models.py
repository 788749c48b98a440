import pytest
from django.db import IntegrityError, transaction

from rooms.models import Review, Room
from testing.factories import RoomFactory, StoreFactory

pytestmark = pytest.mark.django_db


def _room_values(**overrides):
    values = {
        "name": "제약 확인",
        "region": "강남",
        "genres": ["공포"],
        "difficulty": 3,
        "fear": 3,
        "activity": 3,
        "min_players": 2,
        "max_players": 4,
        "duration_minutes": 60,
        "price": 22000,
        "description": "설명",
    }
    return {**values, **overrides}


@pytest.mark.parametrize(
    "overrides",
    [
        {"min_players": 5, "max_players": 4},
        {"min_players": 0},
        {"max_players": 21},
        {"difficulty": 0},
        {"difficulty": 6},
        {"fear": 6},
        {"activity": 0},
        {"duration_minutes": 5},
        {"price": 2_000_000},
        {"rating": 5.5},
        {"genres": ["공포", "먹방"]},
        {"genres": []},
        {"region": "제주"},
    ],
)
def test_database_rejects_rooms_outside_the_rules(overrides):
    store = StoreFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Room.objects.create(store=store, **_room_values(**overrides))
    assert not Room.objects.exists()


def test_database_rejects_unknown_store_region():
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreFactory(region="제주")


def test_one_review_per_user_and_room_and_rating_range(user):
    room = RoomFactory()
    Review.objects.create(user=user, room=room, rating=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(user=user, room=room, rating=5)
    other = RoomFactory(name="다른 테마")
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(user=user, room=other, rating=0)
    assert Review.objects.count() == 1


def test_room_takes_region_and_booking_url_from_its_store():
    store = StoreFactory(region="홍대", booking_url="https://example.com/hongdae")
    room = RoomFactory(store=store)
    assert room.region == "홍대"
    assert room.booking_url == "https://example.com/hongdae"
