"""CSV import of a personal log: names matched by trigram similarity (spaces and typos forgiven, the store telling
rooms of the same name apart); every line or nothing; bad lines reported with their numbers."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from plays.models import Play
from testing.factories import RoomFactory, StoreFactory, small_catalogue_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def rooms():
    catalogue = small_catalogue_build()
    # The same room name at two stores: only the store's name tells them apart.
    other_store = StoreFactory(name="퍼즐팩토리 신촌점", region="신촌")
    catalogue["셜록의 서재 (신촌)"] = RoomFactory(store=other_store, name="셜록의 서재", genres=["추리"])
    return catalogue


def test_a_clean_file_imports_every_line_with_names_matched_loosely(auth_client, user, rooms):
    csv_text = (
        "테마,업체,날짜,탈출,힌트\n"
        "폐병원403호,비밀의방 강남,2025-01-04,성공,2\n"  # no spaces, store without 점
        '"셜록의 서재","퍼즐팩토리 신촌",2025.02.09,X,\n'  # the 신촌 one; date with dots; blank hints
        "\n"
        "연남동 연애편지, 넥스트에디션 홍대, 2025/03/01, true, 노힌트\n"
        "우주정거장K,키이스케이프,2024-11-30,O,1\n"
    )
    response = auth_client.post("/me/plays/import", {"csv": csv_text}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["created"], body["updated"]) == (4, 0)
    plays = {
        (play.room_id, play.played_on, play.escaped, play.hints_used, play.source)
        for play in Play.objects.filter(user=user)
    }
    assert plays == {
        (rooms["폐병원 403호"].id, date(2025, 1, 4), True, 2, "import"),
        (rooms["셜록의 서재 (신촌)"].id, date(2025, 2, 9), False, 0, "import"),
        (rooms["연남동 연애편지"].id, date(2025, 3, 1), True, 0, "import"),
        (rooms["우주정거장 K"].id, date(2024, 11, 30), True, 1, "import"),
    }
    # Importing the same file again updates the same records (one per room).
    again = auth_client.post("/me/plays/import", {"csv": csv_text}, format="json")
    assert again.status_code == 200 and (again.json()["created"], again.json()["updated"]) == (0, 4)
    assert Play.objects.filter(user=user).count() == 4


def test_unmatched_and_unreadable_lines_are_listed_by_number_and_nothing_is_imported(auth_client, user, rooms):
    future = (timezone.localdate() + timedelta(days=5)).isoformat()
    csv_text = "\n".join(
        [
            "폐병원 403호,비밀의방 강남점,2025-01-04,성공,2",  # line 1: fine
            "존재하지 않는 방,어딘가,2025-01-05,실패,0",  # line 2: no such room
            "셜록의 서재,,2025-01-06,성공,0",  # line 3: two stores have it, none named
            f"홍대 흉가,넥스트에디션 홍대,{future},성공,0",  # line 4: in the future
            "마지막 수술,키이스케이프 강남,2025-01-07,글쎄,-1",  # line 5: escaped and hints unreadable
            "우주정거장 K,키이스케이프 강남",  # line 6: too few columns
        ]
    )
    response = auth_client.post("/me/plays/import", {"csv": csv_text}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert not Play.objects.exists()  # the good first line was not imported either
    assert "아무것도 가져오지 않았어요" in body["detail"] and "테마를 찾지 못한 줄 2개" in body["detail"]
    lines = {line["line"]: line for line in body["lines"]}
    assert sorted(lines) == [2, 3, 4, 5, 6]
    assert "찾지 못했어요" in lines[2]["message"] and lines[2]["room_name"] == "존재하지 않는 방"
    assert "여러 곳" in lines[3]["message"]
    assert set(lines[3]["suggestions"]) == {"셜록의 서재 (비밀의방 강남점)", "셜록의 서재 (퍼즐팩토리 신촌점)"}
    assert "오늘 이후" in lines[4]["message"]
    assert "탈출 여부" in lines[5]["message"] and "힌트 수" in lines[5]["message"]
    assert "열이 모자라요" in lines[6]["message"]
    # The shared error shape carries the same, keyed by line.
    assert set(body["errors"]) == {"csv", "2번째 줄", "3번째 줄", "4번째 줄", "5번째 줄", "6번째 줄"}


def test_an_unmatched_name_gets_suggestions(auth_client, rooms):
    response = auth_client.post(
        "/me/plays/import", {"csv": "폐병원 999호실험실,없는가게,2025-01-04,성공,0"}, format="json"
    )
    assert response.status_code == 400
    (line,) = response.json()["lines"]
    assert line["line"] == 1 and line["store_name"] == "없는가게"


@pytest.mark.parametrize(
    ("payload", "message_part"),
    [
        ({"csv": ""}, "비어 있어요"),
        ({"csv": "   \n\n"}, "비어 있어요"),
        ({"csv": "테마,업체,날짜,탈출,힌트\n"}, "가져올 줄이 없어요"),
        ({}, "csv에 CSV 내용을"),
        ({"csv": 12}, "문자열"),
    ],
)
def test_an_empty_or_missing_file_is_a_korean_400(auth_client, rooms, payload, message_part):
    response = auth_client.post("/me/plays/import", payload, format="json")
    assert response.status_code == 400
    assert message_part in response.json()["detail"], response.json()
    assert not Play.objects.exists()


def test_the_same_room_twice_in_a_file_is_one_play_at_the_later_date(auth_client, user, rooms):
    csv_text = "홍대 흉가,넥스트에디션 홍대,2024-02-01,실패,3\n홍대 흉가,넥스트에디션 홍대,2025-02-01,성공,1\n"
    response = auth_client.post("/me/plays/import", {"csv": csv_text}, format="json")
    assert response.status_code == 201 and response.json()["created"] == 1
    play = Play.objects.get(user=user)
    assert (play.played_on, play.escaped, play.hints_used) == (date(2025, 2, 1), True, 1)
