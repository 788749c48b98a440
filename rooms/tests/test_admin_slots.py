"""The slot admin: list filters and bulk actions, a room's calendar, and staff import with preview and apply."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from rooms.models import Room, TimeSlot
from testing.factories import RoomFactory, StoreFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db

HEADER = "store,room,start,status,price,booking_url\n"
CATALOGUE_HEADER = (
    "store_name,region,address,phone,booking_url,name,genres,difficulty,fear,activity,"
    "min_players,max_players,duration_minutes,price,description,rating,review_count\n"
)


@pytest.fixture
def staff_client(staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def room():
    return RoomFactory(store=StoreFactory(name="비밀의방 강남점"), name="폐병원 403호")


def _at(hour: int, days: int = 2):
    return timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(days=days)


def _day(days: int = 2) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_room_list_keeps_names_readable(staff_client, room):
    page = staff_client.get("/admin/rooms/room/").content.decode()
    assert "<strong>폐병원 403호</strong><small>비밀의방 강남점</small>" in page
    assert "css/admin_rooms.css" in page and "회차 달력" in page


def test_slot_list_filters_and_bulk_actions(staff_client, room):
    booked = TimeSlotFactory(room=room, starts_at=_at(19), status="booked")
    other = TimeSlotFactory(room=room, starts_at=_at(20, days=1))
    for params in ({"status__exact": "booked"}, {"day": "tomorrow"}, {"day": "week"}, {"room__region": "강남"}):
        assert staff_client.get("/admin/rooms/timeslot/", params).status_code == 200
    page = staff_client.get("/admin/rooms/timeslot/", {"day": "tomorrow"}).content.decode()
    assert f"/admin/rooms/timeslot/{other.id}/change/" in page and f"/{booked.id}/change/" not in page
    ids = [str(booked.id), str(other.id)]
    response = staff_client.post("/admin/rooms/timeslot/", {"action": "close_slots", "_selected_action": ids})
    assert response.status_code == 302
    assert set(TimeSlot.objects.values_list("status", "source")) == {("closed", "admin")}
    staff_client.post("/admin/rooms/timeslot/", {"action": "open_slots", "_selected_action": ids})
    assert set(TimeSlot.objects.values_list("status", flat=True)) == {"open"}


def test_room_calendar_groups_by_day_and_reopens_a_booked_slot(staff_client, room):
    booked = TimeSlotFactory(room=room, starts_at=_at(19), status="booked")
    TimeSlotFactory(room=room, starts_at=_at(21), status="open")
    foreign = TimeSlotFactory(starts_at=_at(19), status="booked")  # another room's slot
    url = f"/admin/rooms/timeslot/room/{room.id}/"
    page = staff_client.get(url).content.decode()
    assert "19:00 · 예약 마감" in page and "21:00 · 예약 가능" in page
    assert f"{_at(19):%-m월 %-d일}" in page
    response = staff_client.post(url, {"status": "open", "slot": [str(booked.id), str(foreign.id)]})
    assert response.status_code == 302
    booked.refresh_from_db(), foreign.refresh_from_db()
    assert booked.status == "open" and foreign.status == "booked"  # only this room's slots change


def _upload(client, kind: str, name: str, text: str):
    file = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post("/admin/rooms/timeslot/import/", {"kind": kind, "file": file})


def test_slot_feed_preview_writes_nothing_then_apply_writes_it_all(staff_client, room):
    feed = (
        HEADER
        + f"비밀의방 강남점,폐병원 403호,{_day()}T19:00,open,,\n"
        + f"비밀의방 강남점,없는 테마,{_day()}T19:00,open,,\n"
    )
    preview = _upload(staff_client, "slots", "feed.csv", feed)
    page = preview.content.decode()
    assert preview.status_code == 200 and "회차 1개 추가, 0개 변경, 0개 그대로, 1개 행 제외" in page
    assert "2행: 비밀의방 강남점 / 폐병원 403호" in page and "3행: 비밀의방 강남점 / 없는 테마" in page
    assert not TimeSlot.objects.exists()
    token, digest = preview.context["token"], preview.context["report"].digest
    response = staff_client.post("/admin/rooms/timeslot/import/", {"apply": "1", "token": token, "digest": digest})
    assert response.status_code == 302
    assert TimeSlot.objects.get().source == "admin:feed.csv"
    # The token is spent: a second apply is refused.
    again = staff_client.post("/admin/rooms/timeslot/import/", {"apply": "1", "token": token, "digest": digest})
    assert again.status_code == 302 and TimeSlot.objects.count() == 1


def test_a_stale_preview_does_not_apply_and_shows_the_new_plan(staff_client, room):
    preview = _upload(
        staff_client, "slots", "feed.csv", HEADER + f"비밀의방 강남점,폐병원 403호,{_day()}T19:00,open,,\n"
    )
    TimeSlotFactory(room=room, starts_at=_at(19), status="booked")  # booked meanwhile
    response = staff_client.post(
        "/admin/rooms/timeslot/import/",
        {"apply": "1", "token": preview.context["token"], "digest": preview.context["report"].digest},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "다시 미리보기 해 주세요" in page
    assert "예약된 회차는 &#x27;open&#x27;(으)로 바꾸지 않습니다" in page
    assert TimeSlot.objects.get().status == "booked"


def test_rows_with_errors_show_their_lines_and_cannot_be_applied(staff_client, room):
    response = _upload(staff_client, "slots", "feed.csv", HEADER + "비밀의방 강남점,폐병원 403호,내일,open,,\n")
    page = response.content.decode()
    assert "오류가 있어 적용할 수 없습니다" in page and "2행: 시작 시각(start)이 올바르지 않습니다" in page
    assert response.context["token"] is None and 'name="apply"' not in page
    bad_file = _upload(staff_client, "slots", "feed.txt", "x")
    assert "CSV(.csv) 또는 JSON(.json) 파일만" in bad_file.content.decode()


def test_catalogue_preview_and_apply(staff_client, room):
    text = (
        CATALOGUE_HEADER
        + "비밀의방 강남점,강남,,,https://book.example.com/a,"
        + "폐병원 403호,공포,5,5,3,2,5,75,27000,무서운 병원입니다.,,\n"
        + "비밀의방 강남점,강남,,,https://book.example.com/a,"
        + "새 테마,추리,3,0,2,2,4,60,23000,추리 테마입니다.,,\n"
    )
    preview = _upload(staff_client, "rooms", "rooms.csv", text)
    page = preview.content.decode()
    assert "테마 1개 추가, 2개 변경" in page  # the store's link, and the existing room's facts
    assert "3행: 비밀의방 강남점 / 새 테마" in page and "2행: 비밀의방 강남점 / 폐병원 403호: " in page
    assert not Room.objects.filter(name="새 테마").exists()
    assert Room.objects.get(id=room.id).difficulty == 3  # the preview rolled its writes back
    staff_client.post(
        "/admin/rooms/timeslot/import/",
        {"apply": "1", "token": preview.context["token"], "digest": preview.context["report"].digest},
    )
    assert Room.objects.get(name="새 테마").search_vector is not None
    assert Room.objects.get(id=room.id).difficulty == 5


def test_import_needs_staff_permissions(client, user, room):
    client.force_login(user)
    assert client.get("/admin/rooms/timeslot/import/").status_code in (302, 403)


def test_a_catalogue_preview_goes_stale_when_a_room_changes_after_it(room):
    from rooms.imports import ImportStale, catalogue_import
    from rooms.services import room_update

    text = (
        CATALOGUE_HEADER
        + f"비밀의방 강남점,강남,{room.store.address},{room.store.phone},{room.store.booking_url},"
        + "폐병원 403호,공포,5,5,3,2,5,75,27000,무서운 병원입니다.,,\n"
    )
    preview = catalogue_import(text=text, suffix=".csv", dry_run=True)
    assert preview.changed[0][1].startswith("비밀의방 강남점 / 폐병원 403호: activity 2 → 3, description")
    assert "difficulty 3 → 5" in preview.changed[0][1]
    room_update(room=room, difficulty=4)  # staff edit the room meanwhile
    with pytest.raises(ImportStale):
        catalogue_import(text=text, suffix=".csv", expected_digest=preview.digest)
    assert Room.objects.get(id=room.id).difficulty == 4
