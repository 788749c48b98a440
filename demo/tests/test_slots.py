"""Demo slots: every demo room, 14 days, inside store hours, deterministic, busier when people play."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.slots import DAYS, demo_slots_generate, room_slots_demo, store_hours
from rooms.models import Room, TimeSlot
from testing.factories import RoomFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_rooms():
    call_command("seed_catalog", scale=30, embed="none", stdout=StringIO())
    return list(Room.objects.select_related("store").order_by("id"))


def test_every_demo_room_gets_fourteen_days_of_slots_in_store_hours_and_only_demo_rooms(demo_rooms):
    other = RoomFactory()  # not a demo store: left alone
    call_command("seed_slots", stdout=StringIO())
    today = timezone.localdate()
    for room in demo_rooms:
        slots = list(TimeSlot.objects.filter(room=room))
        days = {timezone.localtime(slot.starts_at).date() for slot in slots}
        assert days >= {today + timedelta(days=offset) for offset in range(1, DAYS)}, room
        assert max(days) == today + timedelta(days=DAYS - 1)
        for slot in slots:
            local = timezone.localtime(slot.starts_at)
            hours = store_hours(store_name=room.store.name, day=local.date())
            assert hours.opens <= local.time()
            assert (local + timedelta(minutes=room.duration_minutes)).time() <= hours.closes or hours.closes.hour == 23
            assert slot.booking_url.startswith(room.store.booking_url + "/book?room=") and slot.source == "demo"
    assert not TimeSlot.objects.filter(room=other).exists()


def test_slots_are_deterministic_and_a_rerun_changes_nothing(demo_rooms):
    today = timezone.localdate()
    room = demo_rooms[0]
    assert room_slots_demo(room=room, today=today) == room_slots_demo(room=room, today=today)
    demo_slots_generate()
    before = list(TimeSlot.objects.order_by("id").values_list("id", "status", "updated_at"))
    demo_slots_generate()
    assert list(TimeSlot.objects.order_by("id").values_list("id", "status", "updated_at")) == before


def test_booked_share_is_higher_evenings_weekends_nearer_days_and_better_rooms(demo_rooms):
    from demo.catalog import room_quality

    today = timezone.localdate()
    slots = [(room, slot) for room in demo_rooms for slot in room_slots_demo(room=room, today=today)]

    def share(keep) -> float:
        chosen = [slot for room, slot in slots if keep(room, timezone.localtime(slot.starts_at))]
        return sum(slot.status == "booked" for slot in chosen) / len(chosen)

    evening = share(lambda room, at: at.hour >= 18)
    morning = share(lambda room, at: at.hour < 14)
    weekend = share(lambda room, at: at.weekday() >= 5)
    weekday = share(lambda room, at: at.weekday() < 4)
    near = share(lambda room, at: (at.date() - today).days < 4)
    far = share(lambda room, at: (at.date() - today).days >= 10)
    qualities = sorted(room_quality(store_name=r.store.name, room_name=r.name) for r in demo_rooms)
    median = qualities[len(qualities) // 2]
    good = share(lambda room, at: room_quality(store_name=room.store.name, room_name=room.name) > median)
    weak = share(lambda room, at: room_quality(store_name=room.store.name, room_name=room.name) <= median)
    assert evening > morning + 0.15 and weekend > weekday + 0.1 and near > far and good > weak
    overall = share(lambda room, at: True)
    assert 0.25 < overall < 0.75  # some open, some booked: a realistic mix
