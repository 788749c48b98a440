"""Time slots: the window filter inside both search legs, the slot reads, the window validator."""

import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from rooms.models import TimeSlot
from rooms.selectors import room_slots, room_slots_nearest_open, room_slots_open
from rooms.selectors.rooms import room_list
from rooms.selectors.search import RoomSearchFilters, catalogue_count_forget, room_search_hybrid
from rooms.services import SlotWindowError, slot_window_parse
from testing.factories import TimeSlotFactory, small_catalogue_build

pytestmark = pytest.mark.django_db

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
# Matches every room of the small catalogue in the keyword leg: only the filters decide what is found.
EVERY_WORD = "폐병원 인형 숲 수술 서재 우주정거장 흉가 편지 공포 추리 SF 감성 강남 홍대"


def _tomorrow(hour: int, minute: int = 0) -> datetime:
    return timezone.localtime().replace(hour=hour, minute=minute, second=0, microsecond=0) + timedelta(days=1)


@pytest.fixture
def catalogue():
    rooms = small_catalogue_build(embed=True)
    slot = TimeSlotFactory
    slot(room=rooms["폐병원 403호"], starts_at=_tomorrow(19))  # open in the window
    slot(room=rooms["폐병원 403호"], starts_at=_tomorrow(21, 30))
    slot(room=rooms["우주정거장 K"], starts_at=_tomorrow(18))  # open at the window's first instant
    slot(room=rooms["저주받은 인형"], starts_at=_tomorrow(19), status=TimeSlot.Status.BOOKED)
    slot(room=rooms["홍대 흉가"], starts_at=_tomorrow(19), status=TimeSlot.Status.CLOSED)
    slot(room=rooms["검은 숲의 의식"], starts_at=_tomorrow(10))  # open, but in the morning
    slot(room=rooms["연남동 연애편지"], starts_at=_tomorrow(22))  # at the window's end: outside (half-open)
    slot(room=rooms["마지막 수술"], starts_at=_tomorrow(20), archived=True)  # archived: never offered
    slot(room=rooms["셜록의 서재"], starts_at=timezone.now() - timedelta(minutes=30))  # started: not bookable
    return rooms


def _window(**kwargs) -> RoomSearchFilters:
    return RoomSearchFilters(available_from=_tomorrow(18), available_to=_tomorrow(22), **kwargs)


@pytest.mark.parametrize("small_catalogue_rows", [0, 2000], ids=["full-path", "small-path"])
def test_a_window_keeps_only_rooms_with_an_open_slot_in_it_inside_every_leg(catalogue, settings, small_catalogue_rows):
    settings.ROOMS_SMALL_CATALOGUE_ROWS = small_catalogue_rows
    catalogue_count_forget()
    wanted = {catalogue["폐병원 403호"].id, catalogue["우주정거장 K"].id}
    for method in ("keyword", "semantic", "rrf", "weighted_sum"):
        found = {hit.room.id for hit in room_search_hybrid(query=EVERY_WORD, filters=_window(), method=method)}
        if method == "keyword":  # the keyword leg finds only some rooms for so many words; never one outside
            assert found and found <= wanted
        else:
            assert found == wanted, method
        # Six rooms are 공포 or SF: of them, the two with an open slot in the window (the booked, closed,
        # morning and archived ones are left out).
        genres = room_search_hybrid(query="공포 SF", filters=_window(), method=method)
        assert {hit.room.id for hit in genres} == wanted, method
    assert {hit.room.id for hit in room_search_hybrid(query="", filters=_window())} == wanted
    assert set(room_list(filters=_window()).values_list("id", flat=True)) == wanted
    # The window combines with the other filters; without one every room is found.
    assert [hit.room.id for hit in room_search_hybrid(query="", filters=_window(region="홍대"))] == []
    assert len(room_search_hybrid(query="", filters=RoomSearchFilters())) == len(catalogue)


def test_a_window_open_at_either_end(catalogue):
    late = RoomSearchFilters(available_from=_tomorrow(21))
    assert {hit.room.id for hit in room_search_hybrid(query="", filters=late)} == {
        catalogue["폐병원 403호"].id,
        catalogue["연남동 연애편지"].id,
    }
    # Up to tomorrow 11:00, from now: the slot that already started is not offered.
    early = RoomSearchFilters(available_to=_tomorrow(11))
    assert {hit.room.id for hit in room_search_hybrid(query="", filters=early)} == {catalogue["검은 숲의 의식"].id}
    began = RoomSearchFilters(available_from=timezone.now() - timedelta(hours=2), available_to=_tomorrow(11))
    assert catalogue["셜록의 서재"].id not in {hit.room.id for hit in room_search_hybrid(query="", filters=began)}


def test_room_slots_open_gives_each_room_its_first_open_slots_in_one_query(catalogue, django_assert_num_queries):
    hospital = catalogue["폐병원 403호"]
    for hour in (12, 13, 14, 15):
        TimeSlotFactory(room=hospital, starts_at=_tomorrow(hour))
    ids = [room.id for room in catalogue.values()]
    with django_assert_num_queries(1):
        found = room_slots_open(room_ids=ids, start=_tomorrow(0), end=_tomorrow(23), per_room=3)
        urls = [slot.effective_booking_url for slots in found.values() for slot in slots]  # no query per slot
    assert [timezone.localtime(slot.starts_at).hour for slot in found[hospital.id]] == [12, 13, 14]
    assert set(found) == {hospital.id, catalogue["우주정거장 K"].id, catalogue["검은 숲의 의식"].id,
                          catalogue["연남동 연애편지"].id}  # fmt: skip
    assert urls and all(url.startswith("https://booking.example.com/") for url in urls)
    window = room_slots_open(room_ids=ids, start=_tomorrow(18), end=_tomorrow(22))
    counts = {room_id: len(slots) for room_id, slots in window.items()}
    assert counts == {hospital.id: 2, catalogue["우주정거장 K"].id: 1}


def test_a_slots_own_booking_link_and_price_come_before_the_stores_and_rooms(catalogue):
    room = catalogue["셜록의 서재"]
    slot = TimeSlotFactory(room=room, starts_at=_tomorrow(20), price=30000, booking_url="https://book.example.com/s/1")
    plain = TimeSlotFactory(room=room, starts_at=_tomorrow(21))
    assert (slot.effective_booking_url, slot.effective_price) == ("https://book.example.com/s/1", 30000)
    assert (plain.effective_booking_url, plain.effective_price) == (room.store.booking_url, room.price)


def test_room_slots_lists_open_and_booked_slots_not_closed_or_archived(catalogue):
    doll = catalogue["저주받은 인형"]
    TimeSlotFactory(room=doll, starts_at=_tomorrow(20))
    TimeSlotFactory(room=doll, starts_at=_tomorrow(21), status=TimeSlot.Status.CLOSED)
    TimeSlotFactory(room=doll, starts_at=_tomorrow(22), archived=True)
    slots = room_slots(room=doll, start=None, end=None)
    assert [(timezone.localtime(s.starts_at).hour, s.status) for s in slots] == [(19, "booked"), (20, "open")]
    assert room_slots(room=doll, start=_tomorrow(19, 30), end=_tomorrow(23)) == [slots[1]]


def test_room_slots_nearest_open_orders_by_distance_either_way(catalogue):
    hospital, space = catalogue["폐병원 403호"], catalogue["우주정거장 K"]
    nearest = room_slots_nearest_open(room_ids=[hospital.id, space.id], around=_tomorrow(20), limit=2)
    # 19:00 and 21:30 are 1 h and 1.5 h from 20:00; 18:00 is 2 h away.
    assert [(s.room_id, timezone.localtime(s.starts_at).strftime("%H:%M")) for s in nearest] == [
        (hospital.id, "19:00"),
        (hospital.id, "21:30"),
    ]
    assert room_slots_nearest_open(room_ids=[catalogue["마지막 수술"].id], around=_tomorrow(20), limit=3) == []


# --- the window validator --------------------------------------------------------------------------
def test_window_bounds_naive_times_are_seoul_and_dates_are_whole_days():
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    start, end = slot_window_parse(f"{day}T19:00", f"{day}T21:30+09:00")
    assert start == datetime.fromisoformat(f"{day}T19:00").replace(tzinfo=SEOUL)
    assert end - start == timedelta(hours=2, minutes=30)
    start, end = slot_window_parse(day, day)
    assert timezone.localtime(start).hour == 0 and end - start == timedelta(days=1)
    utc_start, _ = slot_window_parse(f"{day}T10:00Z", None)
    assert timezone.localtime(utc_start).hour == 19
    assert slot_window_parse(None, "") == (None, None)
    aware = timezone.now() + timedelta(days=1)
    assert slot_window_parse(aware, None) == (aware, None)


@pytest.mark.parametrize(
    ("available_from", "available_to", "field", "message"),
    [
        ("토요일 저녁", None, "available_from", "형식이 올바르지 않습니다"),
        (None, "2026-13-45", "available_to", "형식이 올바르지 않습니다"),
        ("+3", None, "available_from", "형식이 올바르지 않습니다"),
        ("D+2T19:00", None, "available_from", "형식이 올바르지 않습니다"),
        ("T21", "T19", "available_to", "보다 뒤여야 합니다"),
        ("T21", "T21", "available_to", "보다 뒤여야 합니다"),
        ("D+61", None, "available_from", "60일 이내"),
        ("D+1", "D+70", "available_to", "60일 이내"),
    ],
)
def test_bad_windows_are_refused_with_a_korean_message(available_from, available_to, field, message):
    def spell(value):
        if value is None or not value.startswith(("T", "D+")) or "T19:00" in value[1:]:
            return value
        if value.startswith("T"):
            return f"{timezone.localdate() + timedelta(days=2)}T{value[1:]}:00"
        return (timezone.localdate() + timedelta(days=int(value[2:]))).isoformat()

    with pytest.raises(SlotWindowError) as raised:
        slot_window_parse(spell(available_from), spell(available_to))
    assert list(raised.value.detail) == [field]
    assert message in str(raised.value.detail[field][0])


def test_the_window_limit_is_a_setting(settings):
    in_ten_days = (timezone.localdate() + timedelta(days=10)).isoformat()
    assert slot_window_parse(in_ten_days, None)[0] is not None
    settings.ROOMS_SLOT_WINDOW_MAX_DAYS = 7
    with pytest.raises(SlotWindowError, match="7일 이내"):
        slot_window_parse(in_ten_days, None)
    # The last allowed day may be asked for whole.
    last_day = (timezone.localdate() + timedelta(days=7)).isoformat()
    assert slot_window_parse(None, last_day)[1] is not None
