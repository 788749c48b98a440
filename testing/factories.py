"""The one way tests build data: users, stores, rooms, reviews, chat sessions and messages (factory_boy).

Rooms come out as production leaves them: the region follows the store and the search text is indexed
(`rooms_search_vector_refresh`); `embed=True` embeds them too, at once (production queues that to a
worker, which does not run in tests). Reviews go through `review_upsert`, so the room's rating, rating
sum and review count stay exact. Room ratings given directly (imported totals) get the matching sum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory, Password

from accounts.models import User
from chat.models import ChatMessage, ChatSession
from rooms.models import Review, Room, Store, TimeSlot
from rooms.services import review_upsert, rooms_embed, rooms_search_vector_refresh

PASSWORD = "Escape!2026"  # noqa: S105 - every factory user's password unless a test gives one


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = Password(PASSWORD)  # hashed like set_password, saved once


class StoreFactory(DjangoModelFactory[Store]):
    class Meta:
        model = Store
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"테스트방탈출 {n}호점")
    region = "강남"
    address = "서울 강남구 테헤란로 1"
    phone = "02-555-0000"
    booking_url = factory.Sequence(lambda n: f"https://booking.example.com/{n}")


class RoomFactory(DjangoModelFactory[Room]):
    """A saved room whose search text is indexed; `RoomFactory(embed=True)` also embeds it."""

    class Meta:
        model = Room
        skip_postgeneration_save = True

    store = factory.SubFactory(StoreFactory)
    region = factory.SelfAttribute("store.region")
    name = factory.Sequence(lambda n: f"테마 {n}")
    genres = factory.LazyFunction(lambda: ["추리"])
    difficulty = 3
    fear = 0
    activity = 2
    min_players = 2
    max_players = 4
    duration_minutes = 70
    price = 25000
    description = "단서를 모아 사건을 해결하는 테마입니다. 문제 흐름이 매끄럽습니다."
    rating = 0.0
    review_count = 0
    rating_sum = factory.LazyAttribute(lambda room: round(room.rating * room.review_count))

    @factory.post_generation
    def search_text(room: Room, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if create:
            rooms_search_vector_refresh(room_ids=[room.id])

    @factory.post_generation
    def embed(room: Room, create: bool, extracted: bool | None, **kwargs: Any) -> None:  # noqa: N805
        if create and extracted:
            rooms_embed(room_ids=[room.id])

    @classmethod
    def _after_postgeneration(cls, instance: Room, create: bool, results: dict | None = None) -> None:
        if create:
            instance.refresh_from_db()  # the search vector and the embedding were written in SQL


class TimeSlotFactory(DjangoModelFactory[TimeSlot]):
    """An open slot of a room, tomorrow at 19:00 Asia/Seoul unless `starts_at` is given."""

    class Meta:
        model = TimeSlot
        skip_postgeneration_save = True

    room = factory.SubFactory(RoomFactory)
    starts_at = factory.LazyFunction(
        lambda: timezone.localtime().replace(hour=19, minute=0, second=0, microsecond=0) + timedelta(days=1)
    )
    status = TimeSlot.Status.OPEN
    source = "test"
    fetched_at = factory.LazyFunction(timezone.now)


class ReviewFactory(DjangoModelFactory[Review]):
    """A review written through `review_upsert` (a second one by the same user edits the first)."""

    class Meta:
        model = Review
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    room = factory.SubFactory(RoomFactory)
    rating = 4
    text = ""
    escaped = False
    hints_used = 0
    played_on = None

    @classmethod
    def _create(cls, model_class: type[Review], *args: Any, **kwargs: Any) -> Review:
        room: Room = kwargs["room"]
        review, _created = review_upsert(**kwargs)
        room.refresh_from_db(fields=["rating", "rating_sum", "review_count"])
        review.room = room
        return review


class ChatSessionFactory(DjangoModelFactory[ChatSession]):
    class Meta:
        model = ChatSession
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    title = ""
    state = factory.LazyFunction(dict)


class ChatMessageFactory(DjangoModelFactory[ChatMessage]):
    class Meta:
        model = ChatMessage
        skip_postgeneration_save = True

    session = factory.SubFactory(ChatSessionFactory)
    role = ChatMessage.Role.USER
    text = factory.Sequence(lambda n: f"메시지 {n}")


def catalogue_build(rooms: Iterable[Mapping[str, Any]], *, embed: bool = False, **shared: Any) -> dict[str, Room]:
    """Rooms from specs (RoomFactory keywords; `shared` ones apply to every room), by name in spec order.

    With `embed`, the rooms are embedded together once they are all made.
    """
    made = [RoomFactory(**{**shared, **spec}) for spec in rooms]
    if embed:
        rooms_embed(room_ids=[room.id for room in made])
        for room in made:
            room.refresh_from_db()
    catalogue = {room.name: room for room in made}
    assert len(catalogue) == len(made), "room names of a catalogue must be unique"
    return catalogue


# The small catalogue of the page, browser and chat-socket tests: a few stores and rooms chosen so
# filters can be checked.
SMALL_CATALOGUE_STORES = [
    ("비밀의방 강남점", "강남", "https://booking.example.com/gangnam"),
    ("키이스케이프 강남", "강남", "https://booking.example.com/key-gangnam"),
    ("넥스트에디션 홍대", "홍대", "https://booking.example.com/hongdae"),
]
SMALL_CATALOGUE_FIELDS = (
    "store",  # index in SMALL_CATALOGUE_STORES
    "name",
    "genres",
    "difficulty",
    "fear",
    "min_players",
    "max_players",
    "duration_minutes",
    "price",
    "rating",
    "review_count",
    "description",
)
SMALL_CATALOGUE_ROOMS = [
    (0, "폐병원 403호", ["공포", "스릴러"], 4, 5, 2, 5, 75, 27000, 4.6, 120, "버려진 병원 4층에서 들려오는 발소리."),
    (0, "저주받은 인형", ["공포"], 3, 4, 2, 4, 60, 25000, 4.2, 80, "인형의 집에 갇힌 밤, 새벽이 오기 전에 탈출하라."),
    (
        1,
        "검은 숲의 의식",
        ["공포", "미스터리"],
        3,
        3,
        3,
        6,
        70,
        24000,
        4.4,
        64,
        "숲속 오두막의 오래된 의식을 멈춰야 한다.",
    ),
    (1, "마지막 수술", ["공포"], 5, 5, 2, 3, 80, 30000, 4.8, 40, "둘이서만 들어갈 수 있는 수술실."),
    (0, "셜록의 서재", ["추리"], 3, 0, 2, 4, 60, 23000, 4.5, 90, "사라진 원고를 찾아 런던 서재를 뒤진다."),
    (1, "우주정거장 K", ["SF", "모험"], 2, 1, 2, 6, 65, 22000, 4.1, 33, "고장 난 정거장을 고쳐 지구로 돌아가자."),
    (2, "홍대 흉가", ["공포"], 4, 5, 2, 5, 70, 26000, 4.3, 75, "홍대 골목 끝 오래된 집."),
    (2, "연남동 연애편지", ["감성", "로맨스"], 1, 0, 2, 2, 60, 22000, 4.7, 150, "첫사랑의 편지를 따라가는 감성 테마."),
]


def small_catalogue_build(*, embed: bool = False) -> dict[str, Room]:
    """The small catalogue's rooms by name, in the order above (`embed` for the semantic leg)."""
    stores = [
        StoreFactory(
            name=name, region=region, booking_url=url, address=f"서울 {region} 어딘가 1길", phone="02-000-0000"
        )
        for name, region, url in SMALL_CATALOGUE_STORES
    ]
    specs = [dict(zip(SMALL_CATALOGUE_FIELDS, row, strict=True)) for row in SMALL_CATALOGUE_ROOMS]
    return catalogue_build(({**spec, "store": stores[spec["store"]]} for spec in specs), embed=embed, activity=2)
