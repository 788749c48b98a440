"""GET /rooms/{id}/slots and the window of /rooms/search and /rooms/: answers and 400s."""

from datetime import timedelta

import pytest
from django.utils import timezone

from testing.factories import RoomFactory, StoreFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db


def _at(hour: int, days: int = 1):
    return timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(days=days)


def _day(days: int = 1) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


@pytest.fixture
def rooms():
    store = StoreFactory(name="비밀의방 강남점", booking_url="https://book.example.com/gangnam")
    hospital = RoomFactory(store=store, name="폐병원 403호", genres=["공포"], rating=4.6, review_count=10)
    library = RoomFactory(store=store, name="셜록의 서재", genres=["추리"], rating=4.2, review_count=10)
    TimeSlotFactory(room=hospital, starts_at=_at(19), booking_url="https://book.example.com/s/1")
    TimeSlotFactory(room=hospital, starts_at=_at(20), status="booked")
    TimeSlotFactory(room=hospital, starts_at=_at(21), status="closed")
    TimeSlotFactory(room=hospital, starts_at=_at(19, days=20))
    TimeSlotFactory(room=library, starts_at=_at(10))
    return {"hospital": hospital, "library": library}


def test_room_slots_lists_open_and_booked_in_the_window(api_client, rooms):
    hospital = rooms["hospital"]
    response = api_client.get(f"/rooms/{hospital.id}/slots", {"from": _day(), "to": _day()})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["room_id"] == hospital.id and body["count"] == 2
    assert [(slot["status"], slot["booking_url"]) for slot in body["results"]] == [
        ("open", "https://book.example.com/s/1"),
        ("booked", "https://book.example.com/gangnam"),
    ]
    assert body["results"][0]["starts_at"].endswith("+09:00") and body["results"][0]["price"] == hospital.price
    # Default window: from now for 14 days (the slot 20 days ahead is not in it).
    assert api_client.get(f"/rooms/{hospital.id}/slots").json()["count"] == 2
    assert api_client.get(f"/rooms/{hospital.id}/slots", {"to": _day(25)}).json()["count"] == 3
    assert api_client.get("/rooms/999999/slots").status_code == 404


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "내일 저녁"}, "from", "형식이 올바르지 않습니다"),
        ({"from": "2026-12-05T25:00"}, "from", "형식이 올바르지 않습니다"),
        ({"from": f"{_day(2)}T21:00", "to": f"{_day(2)}T19:00"}, "to", "끝 시각(to)은 시작 시각(from)보다 뒤여야"),
        ({"to": _day(61)}, "to", "60일 이내"),
    ],
)
def test_room_slots_refuses_bad_windows_in_korean(api_client, rooms, params, field, message):
    response = api_client.get(f"/rooms/{rooms['hospital'].id}/slots", params)
    assert response.status_code == 400
    body = response.json()
    assert message in body["detail"] and list(body["errors"]) == [field]


def test_search_with_a_window_returns_only_rooms_with_an_open_slot_and_shows_them(api_client, rooms):
    params = {"q": "공포 추리 테마", "available_from": f"{_day()}T18:00", "available_to": f"{_day()}T22:00"}
    response = api_client.get("/rooms/search", params)
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [hit["id"] for hit in results] == [rooms["hospital"].id]
    assert [slot["booking_url"] for slot in results[0]["slots"]] == ["https://book.example.com/s/1"]
    # Without a window: both rooms, no slots shown.
    plain = api_client.get("/rooms/search", {"q": "공포 추리 테마"}).json()["results"]
    assert {hit["id"] for hit in plain} == {rooms["hospital"].id, rooms["library"].id}
    assert all(hit["slots"] == [] for hit in plain)
    # A whole day: both rooms have an open slot tomorrow.
    day = api_client.get("/rooms/search", {"q": "공포 추리", "available_from": _day(), "available_to": _day()}).json()
    assert {hit["id"] for hit in day["results"]} == {rooms["hospital"].id, rooms["library"].id}
    listed = api_client.get("/rooms/", {"available_from": f"{_day()}T09:00", "available_to": f"{_day()}T11:00"})
    assert [room["id"] for room in listed.json()["results"]] == [rooms["library"].id]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"available_from": "토요일"}, "available_from", "형식이 올바르지 않습니다"),
        ({"available_from": f"{_day(3)}T20:00", "available_to": f"{_day(3)}T20:00"}, "available_to", "뒤여야"),
        ({"available_from": _day(70)}, "available_from", "60일 이내"),
    ],
)
def test_search_refuses_bad_windows_in_korean(api_client, rooms, params, field, message):
    response = api_client.get("/rooms/search", {"q": "공포", **params})
    assert response.status_code == 400
    body = response.json()
    assert message in body["detail"] and list(body["errors"]) == [field]
