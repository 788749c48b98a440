"""A tiny catalogue for page and browser tests: a few stores and rooms chosen so filters can be checked.

Rooms are written with the ORM and then indexed and embedded synchronously with the rooms services
(room_create would also queue a Celery embedding task that no worker runs during tests).
"""

from __future__ import annotations

from rooms.models import Room, Store
from rooms.services import rooms_embed, rooms_search_vector_refresh

STORES = [
    ("비밀의방 강남점", "강남", "https://booking.example.com/gangnam"),
    ("키이스케이프 강남", "강남", "https://booking.example.com/key-gangnam"),
    ("넥스트에디션 홍대", "홍대", "https://booking.example.com/hongdae"),
]

# (store index, name, genres, difficulty, fear, min, max, minutes, price, rating, reviews, description)
ROOMS = [
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


def catalog_create(*, embed: bool = True) -> list[Room]:
    stores = [
        Store.objects.create(
            name=name, region=region, booking_url=url, address=f"서울 {region} 어딘가 1길", phone="02-000-0000"
        )
        for name, region, url in STORES
    ]
    rooms = []
    for index, name, genres, difficulty, fear, low, high, minutes, price, rating, reviews, text in ROOMS:
        store = stores[index]
        rooms.append(
            Room.objects.create(
                store=store,
                region=store.region,
                name=name,
                genres=genres,
                difficulty=difficulty,
                fear=fear,
                activity=2,
                min_players=low,
                max_players=high,
                duration_minutes=minutes,
                price=price,
                description=text,
                rating=rating,
                rating_sum=round(rating * reviews),
                review_count=reviews,
            )
        )
    ids = [room.id for room in rooms]
    rooms_search_vector_refresh(room_ids=ids)
    if embed:
        rooms_embed(room_ids=ids)
    return rooms
