"""Time-slot writes: the one upsert every source goes through (feeds, demo, admin), archiving, status changes.

The rule that protects bookings (docs/slots.md): a slot once `booked` stays booked whatever a feed or the demo
says later (status, price and link kept; only its freshness moves), and no import ever deletes a slot. Only staff
reopen a booked slot (`slots_set_status`, the admin's bulk actions). Feeds scraped from booking pages can show a
stale "open"; offering a taken slot sends a player to a dead end, missing a reopened one costs little.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from rooms.models import TimeSlot


@dataclass(frozen=True)
class SlotWrite:
    room_id: int
    starts_at: datetime
    status: str
    price: int | None = None
    booking_url: str = ""


_UPSERT = """
    INSERT INTO rooms_timeslot AS t
        (room_id, starts_at, status, price, booking_url, source, fetched_at, archived, created_at, updated_at)
    SELECT d.room_id, d.starts_at, d.status, d.price, d.booking_url, %s, %s, false, %s, %s
    FROM unnest(%s::bigint[], %s::timestamptz[], %s::varchar[], %s::int[], %s::varchar[])
        AS d(room_id, starts_at, status, price, booking_url)
    ON CONFLICT (room_id, starts_at) DO UPDATE SET
        status = CASE WHEN t.status = 'booked' THEN t.status ELSE EXCLUDED.status END,
        price = CASE WHEN t.status = 'booked' THEN t.price ELSE EXCLUDED.price END,
        booking_url = CASE WHEN t.status = 'booked' THEN t.booking_url ELSE EXCLUDED.booking_url END,
        source = EXCLUDED.source,
        fetched_at = EXCLUDED.fetched_at,
        updated_at = CASE
            WHEN t.status <> 'booked' AND (t.status, t.price, t.booking_url)
                IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.price, EXCLUDED.booking_url)
            THEN EXCLUDED.updated_at ELSE t.updated_at END
    WHERE NOT t.archived
"""


def slots_upsert(*, slots: list[SlotWrite], source: str, fetched_at: datetime | None = None) -> int:
    """Insert or update these slots in one statement (atomic), keeping booked ones booked; archived slots are left
    alone. Returns the rows written. The booked rule is applied by the statement itself, so a booking stored
    between a preview and this write is still kept."""
    if not slots:
        return 0
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _UPSERT,
            [
                source[:200],
                fetched_at or now,
                now,
                now,
                [slot.room_id for slot in slots],
                [slot.starts_at for slot in slots],
                [slot.status for slot in slots],
                [slot.price for slot in slots],
                [slot.booking_url for slot in slots],
            ],
        )
        return cursor.rowcount


def slots_archive(*, now: datetime | None = None) -> int:
    """Mark every live slot that has started as archived (the beat task); returns how many. Safe to run twice."""
    return TimeSlot.objects.filter(archived=False, starts_at__lt=now or timezone.now()).update(
        archived=True, updated_at=timezone.now()
    )


def slots_set_status(*, slot_ids: list[int], status: str, source: str = "admin") -> int:
    """Staff set these live slots' status (the admin's bulk open/close): the one way a booked slot reopens."""
    if status not in TimeSlot.Status.values:
        raise ValueError(f"unknown slot status {status!r}")
    now = timezone.now()
    return (
        TimeSlot.objects.filter(id__in=slot_ids, archived=False)
        .exclude(status=status)
        .update(status=status, source=source, fetched_at=now, updated_at=now)
    )
