"""Imports staff and stores run: a catalogue file (`import_rooms`) or a slot feed (`import_slots`, beat).

Each is read and validated whole, then planned against what is stored: what would be created, changed and
rejected, line by line (`ImportReport`). A preview is the plan alone; an apply plans again inside one transaction
and writes everything or nothing. A preview carries the plan's digest: an apply given that digest refuses when
its own plan differs (the file or the stored rows changed since the preview), instead of applying silently.
Commands, the beat task and the admin all call these.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from rooms.catalog_import import ImportFileError, RowError, catalogue_text_read, file_text_read
from rooms.models import ROOM_FIELDS, Room, Store, TimeSlot
from rooms.services import TEXT_FIELDS, rooms_after_change
from rooms.slot_feed import SlotRow, slot_feed_read
from rooms.slot_services import SlotWrite, slots_upsert

logger = logging.getLogger(__name__)

# A room's editable fields less `name`: an import finds the room by store and name.
_ROOM_FIELDS = tuple(name for name in ROOM_FIELDS if name != "name")
_TEXT_FIELDS = TEXT_FIELDS - {"name"}

__all__ = [
    "ImportFileError",
    "ImportInvalid",
    "ImportReport",
    "ImportStale",
    "catalogue_import",
    "slot_feed_dirs_import",
    "slot_feed_import",
]


@dataclass
class ImportReport:
    """What an import does (or did), each item as (line, text)."""

    kind: str  # "rooms" or "slots"
    created: list[tuple[int, str]] = field(default_factory=list)
    changed: list[tuple[int, str]] = field(default_factory=list)
    unchanged: int = 0
    # Rows left out while the rest is written: rooms not in the catalogue, starts in the past, booked slots a
    # feed would reopen (kept booked).
    rejected: list[tuple[int, str]] = field(default_factory=list)
    # Rows that stop the import: nothing is written while there is one.
    errors: list[tuple[int, str]] = field(default_factory=list)
    applied: bool = False

    @property
    def digest(self) -> str:
        body = [self.kind, self.created, self.changed, self.unchanged, self.rejected, self.errors]
        return hashlib.sha256(json.dumps(body, ensure_ascii=False, default=str).encode()).hexdigest()[:32]

    def summary(self) -> str:
        noun = "테마" if self.kind == "rooms" else "회차"
        text = f"{noun} {len(self.created)}개 추가, {len(self.changed)}개 변경, {self.unchanged}개 그대로"
        if self.rejected:
            text += f", {len(self.rejected)}개 행 제외"
        if self.errors:
            text += f", {len(self.errors)}개 행 오류"
        return text


class ImportInvalid(Exception):
    """Rows with errors: nothing was written. `report` lists them."""

    def __init__(self, report: ImportReport):
        super().__init__(f"{len(report.errors)}개 행에 오류가 있어 아무것도 저장하지 않았습니다.")
        self.report = report


class ImportStale(Exception):
    """The plan differs from the preview it was applied from: nothing was written."""

    def __init__(self, report: ImportReport):
        super().__init__("미리보기 뒤에 파일이나 저장된 데이터가 바뀌었습니다. 다시 미리보기 해 주세요.")
        self.report = report


def _row_errors(errors: list[RowError]) -> list[tuple[int, str]]:
    return [(error.line, "; ".join(error.messages)) for error in errors]


def _finish(report: ImportReport, *, dry_run: bool, expected_digest: str | None) -> None:
    """Raise (rolling the caller's transaction back) when the plan may not be applied."""
    if report.errors:
        raise ImportInvalid(report)
    if not dry_run and expected_digest is not None and expected_digest != report.digest:
        raise ImportStale(report)


# --- catalogue -----------------------------------------------------------------------------------------------
class _DryRun(Exception):
    pass


def catalogue_import(
    *, text: str, suffix: str, dry_run: bool = False, expected_digest: str | None = None
) -> ImportReport:
    """Stores and rooms of a catalogue file (import_rooms' format), upserted by store and room name.

    dry_run: the same writes in a transaction rolled back (so every check the database makes is in the preview).
    Raises ImportFileError (the file), ImportInvalid (rows; the report lists them), ImportStale.
    """
    result = catalogue_text_read(text=text, suffix=suffix)
    report = ImportReport(kind="rooms", errors=_row_errors(result.errors))
    if report.errors:
        raise ImportInvalid(report)
    try:
        with transaction.atomic():
            _catalogue_write(result.rows, report, refresh=not dry_run)
            _finish(report, dry_run=dry_run, expected_digest=expected_digest)
            if dry_run:
                raise _DryRun
    except _DryRun:
        return report
    report.applied = True
    return report


def _catalogue_write(rows: list[dict], report: ImportReport, *, refresh: bool) -> None:
    stores: dict[str, Store] = {}
    for row in rows:
        name = row["store_name"]
        if name in stores:
            continue
        values = {
            "region": row["region"],
            "address": row.get("address", ""),
            "phone": row.get("phone", ""),
            "booking_url": row.get("booking_url", ""),
        }
        store, was_created = Store.objects.get_or_create(name=name, defaults=values)
        if not was_created and any(getattr(store, key) != value for key, value in values.items()):
            changed = _changes(
                store, values, sorted(key for key, value in values.items() if getattr(store, key) != value)
            )
            for key, value in values.items():
                setattr(store, key, value)
            store.save()
            report.changed.append((row["line"], f"업체 {name}: {changed}"))
            # The region travels to the rooms; the search text carries the store's name and region.
            Room.objects.filter(store=store).update(region=store.region)
            if refresh:
                rooms_after_change(room_ids=list(store.rooms.values_list("id", flat=True)), text_changed=True)
        stores[name] = store

    changed_text: list[int] = []
    changed_other: list[int] = []
    for row in rows:
        store = stores[row["store_name"]]
        label = f"{row['store_name']} / {row['name']}"
        values = {key: row[key] for key in _ROOM_FIELDS if key in row}
        if row.get("rating") is not None:
            count = row["review_count"]
            total = round(row["rating"] * count)
            values.update(rating_sum=total, review_count=count, rating=round(total / count, 4) if count else 0)
        room = Room.objects.filter(store=store, name=row["name"]).first()
        diff: set[str] = set()
        changes = ""
        if room is None:
            room = Room(store=store, name=row["name"], region=store.region, **values)
        else:
            diff = {key for key, value in values.items() if getattr(room, key) != value}
            if not diff:
                report.unchanged += 1
                continue
            changes = _changes(room, values, sorted(diff))
            for key in diff:
                setattr(room, key, values[key])
            room.region = store.region
        try:
            room.full_clean()
        except DjangoValidationError as exc:
            report.errors.append((row["line"], f"{label}: " + "; ".join(exc.messages)))
            continue
        room.save()
        if diff:
            report.changed.append((row["line"], f"{label}: {changes}"))
            (changed_text if diff & _TEXT_FIELDS else changed_other).append(room.id)
        else:
            report.created.append((row["line"], label))
            changed_text.append(room.id)
    if refresh and changed_text:
        rooms_after_change(room_ids=changed_text, text_changed=True)
    if refresh and changed_other:
        rooms_after_change(room_ids=changed_other, text_changed=False)


def _short(value) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    return text if len(text) <= 30 else text[:29] + "…"


def _changes(obj, values: dict, keys: list[str]) -> str:
    """ "difficulty 3 → 5, price 25000 → 27000": the old values are in the preview (and its digest), so a change
    made by someone else after the preview makes the apply's plan differ."""
    return ", ".join(f"{key} {_short(getattr(obj, key))} → {_short(values[key])}" for key in keys)


# --- slot feeds ----------------------------------------------------------------------------------------------
def _slot_label(row: SlotRow) -> str:
    return f"{row.store} / {row.room} {timezone.localtime(row.starts_at):%Y-%m-%d %H:%M}"


def _slot_plan(rows: list[SlotRow], report: ImportReport, *, strict: bool) -> list[SlotWrite]:
    """Classify every row against the stored slots; the writes for the rows that are not rejected."""
    now = timezone.now()
    rooms = {
        (store_name, name): room_id
        for room_id, store_name, name in Room.objects.filter(
            store__name__in={row.store for row in rows}, name__in={row.room for row in rows}
        ).values_list("id", "store__name", "name")
    }
    known_stores = set(Store.objects.filter(name__in={row.store for row in rows}).values_list("name", flat=True))
    starts = [row.starts_at for row in rows]
    existing = {
        (slot.room_id, slot.starts_at): slot
        for slot in TimeSlot.objects.filter(
            room_id__in=set(rooms.values()), starts_at__gte=min(starts), starts_at__lte=max(starts)
        ).only("room_id", "starts_at", "status", "price", "booking_url", "archived")
    }
    writes: list[SlotWrite] = []
    for row in rows:
        label = _slot_label(row)
        room_id = rooms.get((row.store, row.room))
        if room_id is None:
            why = "알 수 없는 업체입니다" if row.store not in known_stores else "알 수 없는 테마입니다"
            (report.errors if strict else report.rejected).append((row.line, f"{label}: {why}"))
            continue
        slot = existing.get((room_id, row.starts_at))
        if row.starts_at < now or (slot is not None and slot.archived):
            report.rejected.append((row.line, f"{label}: 이미 지난 회차입니다"))
            continue
        if slot is not None and slot.status == TimeSlot.Status.BOOKED and row.status != TimeSlot.Status.BOOKED:
            report.rejected.append((row.line, f"{label}: 예약된 회차는 '{row.status}'(으)로 바꾸지 않습니다"))
            continue
        writes.append(SlotWrite(room_id, row.starts_at, row.status, row.price, row.booking_url))
        if slot is None:
            report.created.append((row.line, f"{label} ({row.status})"))
            continue
        diff = [
            f"{name} {old!s} → {new!s}"
            for name, old, new in (
                ("상태", slot.status, row.status),
                ("가격", slot.price, row.price),
                ("링크", slot.booking_url, row.booking_url),
            )
            if old != new
        ]
        if diff:
            report.changed.append((row.line, f"{label}: {', '.join(diff)}"))
        else:
            report.unchanged += 1
    return writes


def slot_feed_import(
    *,
    text: str,
    suffix: str,
    source: str,
    dry_run: bool = False,
    expected_digest: str | None = None,
    strict: bool = False,
) -> ImportReport:
    """Upsert a feed's slots atomically (all rows or none). Unknown rooms and past starts are reported and left
    out (strict: unknown rooms are errors); booked slots stay booked; nothing is deleted.

    Raises ImportFileError (the file), ImportInvalid (rows; the report lists them), ImportStale.
    """
    feed = slot_feed_read(text=text, suffix=suffix)
    report = ImportReport(kind="slots", errors=_row_errors(feed.errors))
    if report.errors:
        raise ImportInvalid(report)
    with transaction.atomic():
        writes = _slot_plan(feed.rows, report, strict=strict)
        _finish(report, dry_run=dry_run, expected_digest=expected_digest)
        if dry_run:
            return report
        slots_upsert(slots=writes, source=source)
    report.applied = True
    return report


def slot_feed_file_import(*, path: Path, strict: bool = False) -> ImportReport:
    text, suffix = file_text_read(path=path)
    return slot_feed_import(text=text, suffix=suffix, source=f"feed:{path.name}", strict=strict)


def slot_feed_dirs_import(*, directories: list[str] | None = None) -> dict[str, str]:
    """Import every .csv/.json feed of each directory (ROOMS_SLOT_FEED_DIRS), each file in its own transaction:
    a bad file is logged and skipped, the others still import. Returns {file: summary or error}."""
    outcomes: dict[str, str] = {}
    for directory in directories if directories is not None else settings.ROOMS_SLOT_FEED_DIRS:
        folder = Path(directory)
        if not folder.is_dir():
            logger.warning("slot feed directory missing", extra={"directory": str(folder)})
            outcomes[str(folder)] = "디렉터리가 없습니다"
            continue
        for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in (".csv", ".json") and p.is_file()):
            try:
                outcomes[str(path)] = slot_feed_file_import(path=path).summary()
            except (ImportFileError, ImportInvalid) as exc:
                logger.warning("slot feed not imported", extra={"path": str(path), "reason": str(exc)})
                outcomes[str(path)] = str(exc)
    return outcomes
