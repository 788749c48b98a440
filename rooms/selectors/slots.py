"""Time-slot reads: the open slots a card shows, a room's calendar, the nearest open slots."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import F, FloatField, Func, QuerySet, Value, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from rooms.models import TimeSlot

# The room a slot belongs to is loaded with it (its store's booking link and its price are the fallbacks), but
# never its 512-float vector or its tsvector.
_ROOM_HEAVY_FIELDS = ("room__embedding", "room__search_vector")


def _live(slots: QuerySet[TimeSlot], *, start: datetime | None, end: datetime | None) -> QuerySet[TimeSlot]:
    """Live slots starting in [start, end): a slot that has started is never offered (start is at least now)."""
    now = timezone.now()
    slots = slots.filter(archived=False, starts_at__gte=max(start, now) if start is not None else now)
    if end is not None:
        slots = slots.filter(starts_at__lt=end)
    return slots


def _with_room(slots: QuerySet[TimeSlot]) -> QuerySet[TimeSlot]:
    return slots.select_related("room__store").defer(*_ROOM_HEAVY_FIELDS)


def room_slots_open(
    *, room_ids: Iterable[int], start: datetime | None, end: datetime | None, per_room: int = 3
) -> dict[int, list[TimeSlot]]:
    """The first `per_room` open slots of each room in [start, end), earliest first, in one query.

    Rooms with none are absent from the result. A start in the past (or None) means now; end None: no end.
    """
    room_ids = list(dict.fromkeys(room_ids))
    if not room_ids or per_room <= 0:
        return {}
    slots = (
        _live(TimeSlot.objects.filter(room_id__in=room_ids, status=TimeSlot.Status.OPEN), start=start, end=end)
        .annotate(nth=Window(RowNumber(), partition_by=[F("room_id")], order_by=[F("starts_at").asc()]))
        .filter(nth__lte=per_room)
        .order_by("room_id", "starts_at")
    )
    found: dict[int, list[TimeSlot]] = {}
    for slot in _with_room(slots):
        found.setdefault(slot.room_id, []).append(slot)
    return found


def room_slots(*, room, start: datetime | None, end: datetime | None) -> list[TimeSlot]:
    """A room's open and booked slots in [start, end), earliest first (its calendar as a player sees it)."""
    slots = TimeSlot.objects.filter(room=room, status__in=[TimeSlot.Status.OPEN, TimeSlot.Status.BOOKED])
    return list(_with_room(_live(slots, start=start, end=end)).order_by("starts_at"))


def room_slots_nearest_open(*, room_ids: Iterable[int], around: datetime, limit: int = 3) -> list[TimeSlot]:
    """These rooms' open slots nearest `around` (before or after it, never in the past), nearest first.

    For "nothing is open then": the same rooms at other times. Bounded to ROOMS_SLOT_WINDOW_MAX_DAYS ahead.
    """
    from django.conf import settings

    room_ids = list(dict.fromkeys(room_ids))
    if not room_ids or limit <= 0:
        return []
    end = timezone.now() + timedelta(days=settings.ROOMS_SLOT_WINDOW_MAX_DAYS)
    slots = _live(TimeSlot.objects.filter(room_id__in=room_ids, status=TimeSlot.Status.OPEN), start=None, end=end)
    # Seconds from the asked time, either way.
    distance = Func(
        F("starts_at") - Value(around),
        template="abs(extract(epoch from %(expressions)s))",
        output_field=FloatField(),
    )
    return list(_with_room(slots).annotate(distance=distance).order_by("distance", "starts_at", "room_id")[:limit])


def room_slots_by_day(*, room, start: datetime, end: datetime) -> list[tuple[object, list[TimeSlot]]]:
    """Every slot of a room in [start, end), whatever its status (archived too), by local day: staff's calendar."""
    slots = TimeSlot.objects.filter(room=room, starts_at__gte=start, starts_at__lt=end).order_by("starts_at")
    days: dict[object, list[TimeSlot]] = {}
    for slot in slots:
        days.setdefault(timezone.localtime(slot.starts_at).date(), []).append(slot)
    return list(days.items())
