"""Reading and validating a real catalogue file (CSV or JSON) for `manage.py import_rooms` and the admin.

Every row is checked before anything is written; the caller gets either all rows, valid, or
every problem with the line it is on.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from rest_framework import serializers

from rooms.models import ROOM_FACT_FIELDS, ROOM_FIELDS
from rooms.vocabulary import canonical_genre, canonical_region

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
STORE_COLUMNS = ("store_name", "region", "address", "phone", "booking_url")
# Imported totals of reviews given elsewhere (our own reviews add to them).
RATING_COLUMNS = ("rating", "review_count")
COLUMNS = (*STORE_COLUMNS, *ROOM_FIELDS, *RATING_COLUMNS)
REQUIRED = ("store_name", "region", "name", *ROOM_FACT_FIELDS)


class ImportFileError(Exception):
    """The file as a whole cannot be read (format, encoding, size)."""


@dataclass
class RowError:
    line: int
    messages: list[str]

    def __str__(self) -> str:
        return f"{self.line}행: " + "; ".join(self.messages)


@dataclass
class ImportResult:
    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _int(label: str, low: int, high: int, required: bool = True) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=low,
        max_value=high,
        required=required,
        error_messages={
            "invalid": f"{label}은(는) 정수여야 합니다",
            "min_value": f"{label}은(는) {low} 이상이어야 합니다",
            "max_value": f"{label}은(는) {high} 이하여야 합니다",
            "required": f"{label}이(가) 없습니다",
            "null": f"{label}이(가) 없습니다",
        },
    )


def _text(label: str, max_length: int, required: bool = True) -> serializers.CharField:
    return serializers.CharField(
        max_length=max_length,
        required=required,
        allow_blank=not required,
        error_messages={
            "required": f"{label}이(가) 없습니다",
            "blank": f"{label}이(가) 비어 있습니다",
            "null": f"{label}이(가) 없습니다",
            "max_length": f"{label}은(는) {max_length}자 이하여야 합니다",
            "invalid": f"{label}은(는) 글자여야 합니다",
        },
    )


class RoomRowSerializer(serializers.Serializer):
    store_name = _text("업체명(store_name)", 100)
    region = _text("지역(region)", 30)
    address = _text("주소(address)", 200, required=False)
    phone = _text("전화번호(phone)", 30, required=False)
    booking_url = serializers.URLField(
        max_length=300,
        required=False,
        allow_blank=True,
        error_messages={"invalid": "예약 링크(booking_url)가 올바른 URL이 아닙니다"},
    )
    name = _text("테마명(name)", 100)
    genres = serializers.JSONField(error_messages={"required": "장르(genres)가 없습니다"})
    difficulty = _int("난이도(difficulty)", 1, 5)
    fear = _int("공포도(fear)", 0, 5)
    activity = _int("활동성(activity)", 1, 5)
    min_players = _int("최소 인원(min_players)", 1, 20)
    max_players = _int("최대 인원(max_players)", 1, 20)
    duration_minutes = _int("플레이 시간(duration_minutes)", 10, 300)
    price = _int("가격(price)", 0, 1_000_000)
    description = _text("소개(description)", 2000)
    rating = serializers.FloatField(
        min_value=0,
        max_value=5,
        required=False,
        allow_null=True,
        error_messages={
            "invalid": "평점(rating)은 숫자여야 합니다",
            "min_value": "평점(rating)은 0 이상이어야 합니다",
            "max_value": "평점(rating)은 5 이하여야 합니다",
        },
    )
    review_count = _int("후기 수(review_count)", 0, 10_000_000, required=False)
    is_active = serializers.BooleanField(
        required=False, default=True, error_messages={"invalid": "운영 여부(is_active)는 true/false여야 합니다"}
    )

    def validate_region(self, value: str) -> str:
        region = canonical_region(value)
        if region is None:
            raise serializers.ValidationError(f"알 수 없는 지역입니다: {value}")
        return region

    def validate_genres(self, value) -> list[str]:
        names = value if isinstance(value, list) else re.split(r"[|,/]", str(value))
        names = [str(name).strip() for name in names if str(name).strip()]
        if not names:
            raise serializers.ValidationError("장르(genres)가 비어 있습니다")
        genres = []
        for name in names:
            genre = canonical_genre(name)
            if genre is None:
                raise serializers.ValidationError(f"알 수 없는 장르입니다: {name}")
            genres.append(genre)
        genres = list(dict.fromkeys(genres))
        if len(genres) > 3:
            raise serializers.ValidationError("장르는 3개까지입니다")
        return genres

    def validate(self, attrs):
        if attrs["min_players"] > attrs["max_players"]:
            raise serializers.ValidationError("최소 인원이 최대 인원보다 많습니다")
        if (attrs.get("rating") is None) != (attrs.get("review_count") is None):
            raise serializers.ValidationError("평점(rating)과 후기 수(review_count)는 함께 주어야 합니다")
        return attrs


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _flatten(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _flatten(value)]
    return [str(detail)]


def _read_csv(text: str, required: tuple[str, ...] = REQUIRED) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise ImportFileError("CSV 머리글(첫 줄)이 없습니다")
    header = [name.strip() for name in reader.fieldnames]
    missing = [name for name in required if name not in header]
    if missing:
        raise ImportFileError("CSV에 필요한 열이 없습니다: " + ", ".join(missing))
    reader.fieldnames = header
    rows = []
    previous_end = reader.line_num
    for record in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        if None in record:
            rows.append((start, {"__error__": "열 개수가 머리글보다 많습니다"}))
            continue
        values = {key: (value.strip() if isinstance(value, str) else value) for key, value in record.items()}
        rows.append((start, {key: value for key, value in values.items() if value not in ("", None)}))
    return rows


def _read_json(text: str) -> list[tuple[int, dict]]:
    """Objects of a top-level array, each with the line it starts on."""
    decoder = json.JSONDecoder()
    index = len(text) - len(text.lstrip())
    if not text[index:].startswith("["):
        raise ImportFileError("JSON 파일은 객체의 배열([...])이어야 합니다")
    index += 1
    rows = []
    while True:
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
        if index >= len(text):
            raise ImportFileError("JSON 배열이 닫히지 않았습니다")
        if text[index] == "]":
            break
        line = text.count("\n", 0, index) + 1
        try:
            value, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError as exc:
            raise ImportFileError(f"{exc.lineno}행: JSON 형식 오류 ({exc.msg})") from exc
        if not isinstance(value, dict):
            rows.append((line, {"__error__": "객체({...})가 아닙니다"}))
        else:
            rows.append((line, value))
    return rows


def file_text_read(*, path: Path) -> tuple[str, str]:
    """(text, suffix) of an import file on disk, or ImportFileError (missing, too big, not UTF-8)."""
    if not path.exists():
        raise ImportFileError(f"파일이 없습니다: {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ImportFileError(f"파일이 너무 큽니다 (최대 {MAX_FILE_BYTES // 1024 // 1024}MB)")
    return upload_text_read(name=path.name, data=path.read_bytes())


def upload_text_read(*, name: str, data: bytes) -> tuple[str, str]:
    """(text, suffix) of an uploaded import file (the admin's), with the same checks as a file on disk."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(f"파일이 너무 큽니다 (최대 {MAX_FILE_BYTES // 1024 // 1024}MB)")
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".json"):
        raise ImportFileError("CSV(.csv) 또는 JSON(.json) 파일만 가져올 수 있습니다")
    try:
        return data.decode("utf-8-sig"), suffix
    except UnicodeDecodeError as exc:
        raise ImportFileError("UTF-8로 읽을 수 없는 파일입니다") from exc


def table_rows_read(*, text: str, suffix: str, required: tuple[str, ...]) -> list[tuple[int, dict]]:
    """(line, raw values) of every row of a CSV or JSON import (rooms or slots); errors of the whole file raise."""
    if suffix == ".csv":
        raw_rows = _read_csv(text, required)
    elif suffix == ".json":
        raw_rows = _read_json(text)
    else:
        raise ImportFileError("CSV(.csv) 또는 JSON(.json) 파일만 가져올 수 있습니다")
    if not raw_rows:
        raise ImportFileError("가져올 행이 없습니다")
    if len(raw_rows) > MAX_ROWS:
        raise ImportFileError(f"행이 너무 많습니다 (최대 {MAX_ROWS:,}행)")
    return raw_rows


def catalogue_file_read(*, path: Path) -> ImportResult:
    """Parse and validate every row; a row's problems are all reported, with its line number."""
    text, suffix = file_text_read(path=path)
    return catalogue_text_read(text=text, suffix=suffix)


def catalogue_text_read(*, text: str, suffix: str) -> ImportResult:
    """`catalogue_file_read` of text already read (an upload)."""
    raw_rows = table_rows_read(text=text, suffix=suffix, required=REQUIRED)
    result = ImportResult()
    seen: dict[tuple[str, str], int] = {}
    stores: dict[str, tuple[int, tuple]] = {}
    for line, raw in raw_rows:
        if "__error__" in raw:
            result.errors.append(RowError(line, [raw["__error__"]]))
            continue
        serializer = RoomRowSerializer(data=raw)
        if not serializer.is_valid():
            result.errors.append(RowError(line, _flatten(serializer.errors)))
            continue
        row = dict(serializer.validated_data)
        problems = []
        key = (row["store_name"], row["name"])
        if key in seen:
            problems.append(f"같은 업체의 같은 테마가 {seen[key]}행에도 있습니다")
        seen.setdefault(key, line)
        store_facts = (row["region"], row.get("address", ""), row.get("phone", ""), row.get("booking_url", ""))
        first = stores.setdefault(row["store_name"], (line, store_facts))
        if first[1] != store_facts:
            problems.append(f"업체 '{row['store_name']}'의 지역/주소/연락처가 {first[0]}행과 다릅니다")
        if problems:
            result.errors.append(RowError(line, problems))
            continue
        row["line"] = line
        result.rows.append(row)
    return result
