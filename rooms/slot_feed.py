"""Reading and validating a store's slot feed (CSV or JSON) for `manage.py import_slots`, beat and the admin.

Columns: store, room, start, status; optional price, booking_url (docs/slots.md). Every row is checked before
anything is written; the caller gets the valid rows and every problem with the line it is on.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from rooms.catalog_import import RowError, _flatten, table_rows_read

REQUIRED = ("store", "room", "start", "status")
COLUMNS = (*REQUIRED, "price", "booking_url")
# Spellings a feed may use for a status (stores' systems say it in many ways).
STATUS_ALIASES = {
    "open": "open",
    "available": "open",
    "예약가능": "open",
    "가능": "open",
    "booked": "booked",
    "full": "booked",
    "sold_out": "booked",
    "예약완료": "booked",
    "마감": "booked",
    "closed": "closed",
    "unavailable": "closed",
    "휴무": "closed",
}


@dataclass(frozen=True)
class SlotRow:
    line: int
    store: str
    room: str
    starts_at: datetime
    status: str
    price: int | None = None
    booking_url: str = ""


@dataclass
class SlotFeedResult:
    rows: list[SlotRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


class _StartField(serializers.CharField):
    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if len(text) > 40:
            raise serializers.ValidationError("시작 시각(start)이 너무 깁니다")
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise serializers.ValidationError(
                f"시작 시각(start)이 올바르지 않습니다: {text} (예: 2026-12-05T19:00 또는 2026-12-05T19:00+09:00)"
            ) from None
        if len(text) <= 10:  # a date alone is not a start time
            raise serializers.ValidationError(f"시작 시각(start)에 시각이 없습니다: {text}")
        if timezone.is_naive(value):
            value = timezone.make_aware(value, zoneinfo.ZoneInfo(settings.TIME_ZONE))
        return value


class SlotRowSerializer(serializers.Serializer):
    store = serializers.CharField(
        max_length=100,
        error_messages={"required": "업체명(store)이 없습니다", "blank": "업체명(store)이 비어 있습니다"},
    )
    room = serializers.CharField(
        max_length=100, error_messages={"required": "테마명(room)이 없습니다", "blank": "테마명(room)이 비어 있습니다"}
    )
    start = _StartField(error_messages={"required": "시작 시각(start)이 없습니다"})
    status = serializers.CharField(max_length=20, error_messages={"required": "상태(status)가 없습니다"})
    price = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=1_000_000,
        error_messages={
            "invalid": "가격(price)은 정수여야 합니다",
            "min_value": "가격(price)은 0 이상이어야 합니다",
            "max_value": "가격(price)은 1000000 이하여야 합니다",
        },
    )
    booking_url = serializers.URLField(
        max_length=500,
        required=False,
        allow_blank=True,
        error_messages={"invalid": "예약 링크(booking_url)가 올바른 URL이 아닙니다"},
    )

    def validate_status(self, value: str) -> str:
        status = STATUS_ALIASES.get("".join(value.split()).lower())
        if status is None:
            raise serializers.ValidationError(f"알 수 없는 상태입니다: {value} (open, booked, closed)")
        return status


def slot_feed_read(*, text: str, suffix: str) -> SlotFeedResult:
    """Every row validated; the same room and start twice in one file is an error of the later line.

    ImportFileError when the file as a whole cannot be read.
    """
    result = SlotFeedResult()
    seen: dict[tuple[str, str, datetime], int] = {}
    for line, raw in table_rows_read(text=text, suffix=suffix, required=REQUIRED):
        if "__error__" in raw:
            result.errors.append(RowError(line, [raw["__error__"]]))
            continue
        serializer = SlotRowSerializer(data=raw)
        if not serializer.is_valid():
            result.errors.append(RowError(line, _flatten(serializer.errors)))
            continue
        data = serializer.validated_data
        key = (data["store"].strip(), data["room"].strip(), data["start"])
        if key in seen:
            result.errors.append(RowError(line, [f"같은 테마의 같은 시각이 {seen[key]}행에도 있습니다"]))
            continue
        seen[key] = line
        result.rows.append(
            SlotRow(
                line=line,
                store=key[0],
                room=key[1],
                starts_at=data["start"],
                status=data["status"],
                price=data.get("price"),
                booking_url=data.get("booking_url", ""),
            )
        )
    return result
