"""The slot feed import: upserts atomically, reports unknown rooms, never loses a booked slot."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from rooms.imports import ImportInvalid, ImportStale, slot_feed_dirs_import, slot_feed_import
from rooms.models import TimeSlot
from rooms.slot_services import slots_archive, slots_set_status
from testing.factories import RoomFactory, StoreFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db

HEADER = "store,room,start,status,price,booking_url\n"


def _day(days: int = 2) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


@pytest.fixture
def rooms():
    store = StoreFactory(name="비밀의방 강남점", booking_url="https://book.example.com/gangnam")
    return {
        "hospital": RoomFactory(store=store, name="폐병원 403호"),
        "library": RoomFactory(store=store, name="셜록의 서재"),
    }


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _status(room, hour: int, days: int = 2) -> str:
    return TimeSlot.objects.get(room=room, starts_at=_at(hour, days)).status


def _at(hour: int, days: int = 2):
    local = timezone.localtime()
    base = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=days)
    return base.replace(hour=hour)


def test_csv_feed_creates_then_updates_slots_and_reports_unknown_rooms(rooms, tmp_path):
    day = _day()
    path = _write(
        tmp_path,
        "gangnam.csv",
        HEADER
        + f"비밀의방 강남점,폐병원 403호,{day}T19:00,open,,\n"
        + f"비밀의방 강남점,폐병원 403호,{day}T20:30,booked,,\n"
        + f"비밀의방 강남점,셜록의 서재,{day}T19:00,open,30000,https://book.example.com/s/9\n"
        + f"비밀의방 강남점,없는 테마,{day}T19:00,open,,\n"
        + f"없는 업체,폐병원 403호,{day}T19:00,open,,\n",
    )
    out, err = StringIO(), StringIO()
    call_command("import_slots", str(path), stdout=out, stderr=err)
    assert "회차 3개 추가, 0개 변경, 0개 그대로, 2개 행 제외" in out.getvalue()
    assert "5행 제외: 비밀의방 강남점 / 없는 테마" in err.getvalue() and "알 수 없는 테마" in err.getvalue()
    assert "6행 제외: 없는 업체 / 폐병원 403호" in err.getvalue() and "알 수 없는 업체" in err.getvalue()
    library = TimeSlot.objects.get(room=rooms["library"])
    assert (library.price, library.booking_url, library.source) == (
        30000,
        "https://book.example.com/s/9",
        "feed:gangnam.csv",
    )
    assert library.fetched_at is not None and timezone.localtime(library.starts_at).hour == 19

    path.write_text(HEADER + f"비밀의방 강남점,폐병원 403호,{day}T19:00,예약완료,,\n", encoding="utf-8")
    out = StringIO()
    call_command("import_slots", str(path), stdout=out)
    assert "0개 추가, 1개 변경" in out.getvalue()
    assert _status(rooms["hospital"], 19) == "booked"
    assert TimeSlot.objects.count() == 3  # slots the feed no longer lists are not deleted


def test_a_feed_never_reopens_closes_or_deletes_a_booked_slot(rooms):
    booked = TimeSlotFactory(room=rooms["hospital"], starts_at=_at(19), status="booked", price=27000)
    feed = HEADER + f"비밀의방 강남점,폐병원 403호,{_day()}T19:00,open,20000,https://x.example.com/\n"
    report = slot_feed_import(text=feed, suffix=".csv", source="feed:test")
    assert report.applied and not report.created and not report.changed
    assert report.rejected == [
        (2, f"비밀의방 강남점 / 폐병원 403호 {_day()} 19:00: 예약된 회차는 'open'(으)로 바꾸지 않습니다")
    ]
    booked.refresh_from_db()
    assert (booked.status, booked.price, booked.booking_url) == ("booked", 27000, "")
    # Staff can reopen it (a cancellation), then a feed may change it again.
    assert slots_set_status(slot_ids=[booked.id], status="open") == 1
    slot_feed_import(text=feed.replace(",open,", ",closed,"), suffix=".csv", source="feed:test")
    booked.refresh_from_db()
    assert booked.status == "closed"


def test_the_upsert_keeps_a_booking_stored_after_the_plan(rooms):
    """The booked rule lives in the write itself: a booking made between a preview and an apply is kept."""
    from rooms.slot_services import SlotWrite, slots_upsert

    slot = TimeSlotFactory(room=rooms["hospital"], starts_at=_at(19), status="booked")
    slots_upsert(slots=[SlotWrite(rooms["hospital"].id, _at(19), "open")], source="demo")
    slot.refresh_from_db()
    assert slot.status == "booked" and slot.source == "demo"


def test_one_bad_row_writes_nothing_and_the_command_exits_with_one_line(rooms, tmp_path):
    TimeSlotFactory(room=rooms["hospital"], starts_at=_at(19), status="open")
    day = _day()
    path = _write(
        tmp_path,
        "bad.csv",
        HEADER
        + f"비밀의방 강남점,폐병원 403호,{day}T19:00,booked,,\n"  # would change: rolled back with the rest
        + f"비밀의방 강남점,폐병원 403호,{day}T21:00,open,,\n"
        + f"비밀의방 강남점,셜록의 서재,{day} 25시,open,,\n"
        + f"비밀의방 강남점,셜록의 서재,{day}T19:00,maybe,-5,\n"
        + f"비밀의방 강남점,폐병원 403호,{day}T21:00,closed,,\n",
    )
    err = StringIO()
    with pytest.raises(CommandError, match=r"^3개 행에 오류가 있어 아무것도 저장하지 않았습니다\.$"):
        call_command("import_slots", str(path), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("4행: 시작 시각(start)이 올바르지 않습니다")
    assert lines[1].startswith("5행: ") and "알 수 없는 상태" in lines[1] and "가격(price)은 0 이상" in lines[1]
    assert lines[2] == "6행: 같은 테마의 같은 시각이 3행에도 있습니다"
    assert list(TimeSlot.objects.values_list("status", flat=True)) == ["open"]


def test_a_failing_write_rolls_every_row_back(rooms, monkeypatch):
    """All or nothing: an error in the write (here a constraint) leaves the stored slots as they were."""
    import rooms.imports as imports

    TimeSlotFactory(room=rooms["hospital"], starts_at=_at(19), status="open")
    real = imports.slots_upsert

    def upsert_then_fail(**kwargs):
        real(**kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "slots_upsert", upsert_then_fail)
    feed = (
        HEADER
        + f"비밀의방 강남점,폐병원 403호,{_day()}T19:00,booked,,\n비밀의방 강남점,셜록의 서재,{_day()}T19:00,open,,\n"
    )
    with pytest.raises(RuntimeError):
        slot_feed_import(text=feed, suffix=".csv", source="feed:test")
    assert list(TimeSlot.objects.values_list("status", flat=True)) == ["open"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("feed.txt", "store,room\n", r"CSV\(\.csv\) 또는 JSON\(\.json\) 파일만"),
        ("feed.csv", "store,room,start\n", "CSV에 필요한 열이 없습니다: status"),
        ("feed.csv", HEADER, "가져올 행이 없습니다"),
        ("feed.json", '{"store": 1}', "JSON 파일은 객체의 배열"),
        ("feed.json", '[{"store": "a",', "JSON"),
    ],
)
def test_unreadable_feeds_exit_non_zero_with_one_line(tmp_path, name, text, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_slots", str(_write(tmp_path, name, text)))


def test_json_feed_with_line_numbers_and_strict_unknown_rooms(rooms, tmp_path):
    day = _day(3)
    rows = [
        {"store": "비밀의방 강남점", "room": "폐병원 403호", "start": f"{day}T10:00:00+00:00", "status": "open"},
        {"store": "비밀의방 강남점", "room": "미지의 방", "start": f"{day}T19:00", "status": "open"},
    ]
    text = "[\n" + ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n]\n"
    path = _write(tmp_path, "feed.json", text)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_slots", str(path), "--strict", stderr=err)
    assert err.getvalue().startswith("3행: 비밀의방 강남점 / 미지의 방")
    assert not TimeSlot.objects.exists()
    call_command("import_slots", str(path), stdout=StringIO(), stderr=StringIO())
    slot = TimeSlot.objects.get()
    assert timezone.localtime(slot.starts_at).hour == 19  # 10:00 UTC is 19:00 in Seoul


def test_past_starts_are_left_out_and_past_slots_archived(rooms):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    report = slot_feed_import(
        text=HEADER + f"비밀의방 강남점,폐병원 403호,{yesterday}T19:00,open,,\n", suffix=".csv", source="feed:x"
    )
    assert report.rejected[0][1].endswith("이미 지난 회차입니다") and not TimeSlot.objects.exists()
    started = TimeSlotFactory(room=rooms["hospital"], starts_at=timezone.now() - timedelta(minutes=5))
    coming = TimeSlotFactory(room=rooms["hospital"], starts_at=timezone.now() + timedelta(hours=1))
    assert slots_archive() == 1 and slots_archive() == 0
    started.refresh_from_db(), coming.refresh_from_db()
    assert started.archived and not coming.archived


def test_a_preview_writes_nothing_and_a_stale_preview_does_not_apply(rooms):
    feed = HEADER + f"비밀의방 강남점,폐병원 403호,{_day()}T19:00,open,,\n"
    preview = slot_feed_import(text=feed, suffix=".csv", source="admin", dry_run=True)
    assert len(preview.created) == 1 and not preview.applied and not TimeSlot.objects.exists()
    TimeSlotFactory(room=rooms["hospital"], starts_at=_at(19), status="closed")  # someone else wrote meanwhile
    with pytest.raises(ImportStale):
        slot_feed_import(text=feed, suffix=".csv", source="admin", expected_digest=preview.digest)
    assert TimeSlot.objects.get().status == "closed"
    fresh = slot_feed_import(text=feed, suffix=".csv", source="admin", dry_run=True)
    applied = slot_feed_import(text=feed, suffix=".csv", source="admin", expected_digest=fresh.digest)
    assert applied.applied and TimeSlot.objects.get().status == "open"


def test_feed_directories_import_each_file_and_skip_bad_ones(rooms, tmp_path, settings):
    _write(tmp_path, "a.csv", HEADER + f"비밀의방 강남점,폐병원 403호,{_day()}T19:00,open,,\n")
    _write(tmp_path, "b.csv", HEADER + "비밀의방 강남점,폐병원 403호,never,open,,\n")
    _write(tmp_path, "notes.txt", "ignored")
    settings.ROOMS_SLOT_FEED_DIRS = [str(tmp_path), str(tmp_path / "missing")]
    outcomes = slot_feed_dirs_import()
    assert outcomes[str(tmp_path / "a.csv")].startswith("회차 1개 추가")
    assert "오류" in outcomes[str(tmp_path / "b.csv")]
    assert outcomes[str(tmp_path / "missing")] == "디렉터리가 없습니다"
    assert TimeSlot.objects.get().source == "feed:a.csv"


def test_import_invalid_carries_the_report():
    with pytest.raises(ImportInvalid) as raised:
        slot_feed_import(text=HEADER + ",,,,,\n", suffix=".csv", source="x")
    assert raised.value.report.errors[0][0] == 2
