"""Demo time slots: deterministic slots for the next days of every demo room, with a realistic booked share.

Each store has opening hours (from its name); each room starts a game every duration + 15 minutes (rounded up to
ten) from opening, rooms of a store staggered by ten minutes. Whether a slot is booked is one fixed draw per slot
against a probability that grows as the day comes closer (bookings accumulate), in the evening and at weekends,
and for better rooms (the catalogue's hidden quality). Because the draw is fixed and the probability only grows,
a slot never goes from booked back to open when the slots are regenerated (daily, by beat), which the upsert's
booked rule would refuse anyway.
"""

from __future__ import annotations

import hashlib
import random
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from demo.catalog import SEED, room_quality
from rooms.models import Room
from rooms.slot_services import SlotWrite, slots_upsert

DEMO_BOOKING_PREFIX = "https://booking.escape-demo.kr/"  # the demo catalogue's stores (demo.catalog._stores)
DAYS = 14
_BATCH = 5000


@dataclass(frozen=True)
class Hours:
    opens: time
    closes: time  # the last game ends by then


def store_hours(*, store_name: str, day: date) -> Hours:
    """A store's hours that day: 10-12 o'clock to 22-24, an hour earlier at weekends."""
    rng = random.Random(hashlib.sha256(f"{SEED}\nhours\n{store_name}".encode()).digest())
    opens, closes = rng.choice((10, 11, 11, 12)), rng.choice((22, 23, 23, 24))
    if day.weekday() >= 5:
        opens -= 1
    return Hours(time(opens), time(closes % 24) if closes < 24 else time(23, 59))


def _draw(room_key: str, start: datetime) -> float:
    digest = hashlib.sha256(f"{SEED}\nslot\n{room_key}\n{start:%Y%m%d%H%M}".encode()).digest()
    return random.Random(digest).random()


def booked_probability(*, start: datetime, quality: float, days_ahead: int) -> float:
    """How likely this slot is booked by now: evenings, weekends (and Friday night), better rooms and nearer days."""
    local = timezone.localtime(start)
    weekend = local.weekday() >= 5 or (local.weekday() == 4 and local.hour >= 18)
    share = 0.12
    share += 0.25 if local.hour >= 18 else (0.08 if local.hour >= 14 else 0.0)
    share += 0.22 if weekend else 0.0
    share += 0.12 * quality  # quality is about N(0, 1), clipped to ±2.5
    share *= 1.0 + 0.9 * max(0, DAYS - days_ahead) / DAYS  # bookings accumulate as the day comes
    return max(0.02, min(0.97, share))


def room_slots_demo(*, room: Room, today: date, days: int = DAYS) -> list[SlotWrite]:
    """The room's slots from `today` for `days` days (each start in the store's hours), deterministic."""
    seoul = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    step = -(-(room.duration_minutes + 15) // 10) * 10
    stagger = timedelta(minutes=10 * (room.id % 3))
    quality = room_quality(store_name=room.store.name, room_name=room.name)
    key = f"{room.store.name}\n{room.name}"
    slots = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        hours = store_hours(store_name=room.store.name, day=day)
        start = datetime.combine(day, hours.opens, tzinfo=seoul) + stagger
        closes = datetime.combine(day, hours.closes, tzinfo=seoul)
        while start + timedelta(minutes=room.duration_minutes) <= closes:
            draw = _draw(key, start)
            if draw < booked_probability(start=start, quality=quality, days_ahead=offset):
                status = "booked"
            elif day.weekday() < 5 and start.hour < 12 and draw > 0.97:
                status = "closed"  # a weekday morning off now and then
            else:
                status = "open"
            late_weekend = day.weekday() >= 5 and start.hour >= 22
            slots.append(
                SlotWrite(
                    room_id=room.id,
                    starts_at=start,
                    status=status,
                    price=room.price + 2000 if late_weekend else None,
                    booking_url=f"{room.store.booking_url}/book?room={room.id}&start={start:%Y%m%dT%H%M}",
                )
            )
            start += timedelta(minutes=step)
    return slots


def demo_slots_generate(*, today: date | None = None, days: int = DAYS) -> int:
    """Write every demo room's slots for the next `days` days (starts already past are left out); returns
    the rows written. Safe to run again: the same slots come out, booked ones stay booked."""
    today = today or timezone.localdate()
    now = timezone.now()
    rooms = (
        Room.objects.filter(is_active=True, store__booking_url__startswith=DEMO_BOOKING_PREFIX)
        .select_related("store")
        .only("id", "name", "duration_minutes", "price", "store__name", "store__booking_url")
        .order_by("id")
    )
    written = 0
    batch: list[SlotWrite] = []
    for room in rooms.iterator(chunk_size=500):
        batch += [slot for slot in room_slots_demo(room=room, today=today, days=days) if slot.starts_at > now]
        if len(batch) >= _BATCH:
            written += slots_upsert(slots=batch, source="demo")
            batch = []
    written += slots_upsert(slots=batch, source="demo")
    return written
