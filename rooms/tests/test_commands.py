import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rooms.models import Room, Store

pytestmark = pytest.mark.django_db


CSV_HEADER = (
    "store_name,region,address,phone,booking_url,name,genres,difficulty,fear,activity,"
    "min_players,max_players,duration_minutes,price,description,rating,review_count\n"
)


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_csv_creates_and_updates_rooms(tmp_path):
    path = _write(
        tmp_path,
        "rooms.csv",
        CSV_HEADER
        + "새벽방탈출 강남점,강남역,서울 강남구 1,02-1234-5678,https://example.com/a,"
        + '심야 병동,"공포|스릴러",4,5,3,2,5,70,26000,"한밤의 병동. 무섭습니다.",4.5,10\n'
        + "새벽방탈출 강남점,강남역,서울 강남구 1,02-1234-5678,https://example.com/a,"
        "탐정의 밤,탐정,3,0,2,2,4,60,23000,범인을 찾는 추리 테마입니다.,,\n",
    )
    out = StringIO()
    call_command("import_rooms", str(path), stdout=out)
    assert "2개 추가" in out.getvalue()
    room = Room.objects.get(name="심야 병동")
    assert room.region == "강남" and room.genres == ["공포", "스릴러"]
    assert room.review_count == 10 and room.rating == pytest.approx(4.5)
    assert Room.objects.get(name="탐정의 밤").genres == ["추리"]
    assert room.search_vector is not None and room.embedding_dirty

    out = StringIO()
    call_command("import_rooms", str(path), stdout=out)
    assert "0개 추가, 0개 변경, 2개 그대로" in out.getvalue()


def test_import_reports_every_bad_row_and_writes_nothing(tmp_path):
    path = _write(
        tmp_path,
        "bad.csv",
        CSV_HEADER
        + "좋은 업체,홍대,,,,멀쩡한 방,추리,3,0,2,2,4,60,23000,괜찮은 설명입니다.,,\n"
        + "나쁜 업체,제주,,,,지역이 틀린 방,추리,3,0,2,2,4,60,23000,설명,,\n"
        + "나쁜 업체2,홍대,,,,인원이 틀린 방,먹방,3,0,2,5,4,60,23000,설명,,\n"
        + "나쁜 업체3,홍대,,,,난이도가 틀린 방,추리,9,0,2,2,4,60,비쌈,설명,,\n"
        + "좋은 업체,홍대,,,,멀쩡한 방,추리,3,0,2,2,4,60,23000,중복된 행입니다.,,\n",
    )
    err = StringIO()
    with pytest.raises(CommandError, match="4개 행에 오류"):
        call_command("import_rooms", str(path), stderr=err)
    report = err.getvalue()
    assert "3행: 알 수 없는 지역입니다: 제주" in report
    assert "4행:" in report and "알 수 없는 장르입니다: 먹방" in report
    assert "5행:" in report and "난이도(difficulty)은(는) 5 이하여야 합니다" in report and "가격(price)" in report
    assert "6행: 같은 업체의 같은 테마가 2행에도 있습니다" in report
    assert "2행" not in report.split("6행")[0]  # the good row is not reported
    assert not Room.objects.exists() and not Store.objects.exists()


def test_import_players_order_is_checked(tmp_path):
    path = _write(tmp_path, "order.csv", CSV_HEADER + "업체,홍대,,,,방,추리,3,0,2,5,4,60,23000,설명,,\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_rooms", str(path), stderr=err)
    assert "2행: 최소 인원이 최대 인원보다 많습니다" in err.getvalue()


def test_import_json_reports_lines_of_bad_objects(tmp_path):
    good = {
        "store_name": "제이슨 방탈출",
        "region": "Busan",
        "name": "해운대의 비밀",
        "genres": ["미스테리", "모험"],
        "difficulty": 3,
        "fear": 1,
        "activity": 3,
        "min_players": 2,
        "max_players": 4,
        "duration_minutes": 75,
        "price": 24000,
        "description": "해운대에 숨겨진 비밀을 찾아 떠납니다.",
    }
    bad = {**good, "name": "나쁜 방", "fear": 7}
    text = "[\n" + json.dumps(good, ensure_ascii=False) + ",\n\n" + json.dumps(bad, ensure_ascii=False) + "\n]\n"
    path = _write(tmp_path, "rooms.json", text)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_rooms", str(path), stderr=err)
    assert "4행: 공포도(fear)은(는) 5 이하여야 합니다" in err.getvalue()
    assert not Room.objects.exists()

    path = _write(tmp_path, "good.json", "[\n" + json.dumps(good, ensure_ascii=False) + "\n]\n")
    call_command("import_rooms", str(path), stdout=StringIO())
    room = Room.objects.get()
    assert room.region == "부산" and room.genres == ["미스터리", "모험"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("rooms.txt", "hello", "파일만 가져올 수 있습니다"),
        ("broken.json", '[{"name": ', "JSON 형식 오류"),
        ("object.json", '{"rooms": []}', "배열"),
        ("empty.csv", "", "머리글"),
        ("columns.csv", "name,region\n방,강남\n", "필요한 열"),
    ],
)
def test_import_rejects_unreadable_files(tmp_path, name, text, message):
    path = _write(tmp_path, name, text)
    with pytest.raises(CommandError, match=message):
        call_command("import_rooms", str(path))


def test_import_missing_file():
    with pytest.raises(CommandError, match="파일이 없습니다"):
        call_command("import_rooms", "/nonexistent/rooms.csv")
