"""Typed factories for the catalogue. Rooms are made through the service, so they carry a real search vector."""

import factory

from rooms.models import Room, Store
from rooms.services import room_create


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    name = factory.Sequence(lambda n: f"테스트방탈출 {n}호점")
    region = "강남"
    address = "서울 강남구 테헤란로 1"
    phone = "02-555-0000"
    booking_url = factory.Sequence(lambda n: f"https://booking.example.com/{n}")


_ROOM_DEFAULTS = {
    "genres": ["추리"],
    "difficulty": 3,
    "fear": 0,
    "activity": 2,
    "min_players": 2,
    "max_players": 4,
    "duration_minutes": 70,
    "price": 25000,
    "description": "단서를 모아 사건을 해결하는 테마입니다. 문제 흐름이 매끄럽습니다.",
}


def room_make(*, store: Store | None = None, name: str | None = None, **fields) -> Room:
    """A saved room with its search vector (not embedded: the embedding task is not run)."""
    store = store or StoreFactory()
    name = name or f"테마 {Room.objects.count() + 1}"
    return room_create(store=store, name=name, **{**_ROOM_DEFAULTS, **fields})
