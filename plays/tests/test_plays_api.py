"""The play log API: log (201) or replay (200), list with filters, change, delete, stats; reviews imply plays;
bad input is a 400 in Korean; someone else's play is a 404."""

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from accounts.tokens import tokens_issue
from analytics.buffer import key
from plays.models import Play
from rooms.models import Review
from testing.factories import ReviewFactory, UserFactory, small_catalogue_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def rooms():
    return small_catalogue_build()


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=user)['access']}")
    return client


def buffered(types: set[str]) -> list[dict]:
    docs = [json.loads(raw) for raw in get_redis_connection("default").lrange(key("buffer"), 0, -1)]
    return [doc for doc in docs if doc["type"] in types]


def test_logging_a_play_then_a_replay_updates_the_one_record(
    auth_client, user, rooms, django_capture_on_commit_callbacks
):
    room = rooms["셜록의 서재"]
    with django_capture_on_commit_callbacks(execute=True):
        first = auth_client.post(
            "/me/plays",
            {"room_id": room.id, "played_on": "2025-03-01", "escaped": False, "hints_used": 3, "players": 3},
            format="json",
        )
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["room"]["id"] == room.id and body["room"]["name"] == "셜록의 서재"
    assert (body["played_on"], body["escaped"], body["hints_used"], body["players"]) == ("2025-03-01", False, 3, 3)
    assert body["source"] == "manual"

    with django_capture_on_commit_callbacks(execute=True):
        replay = auth_client.post(
            "/me/plays",
            {"room_id": room.id, "played_on": "2025-06-01", "escaped": True, "minutes_left": 7, "note": "재도전 성공"},
            format="json",
        )
    assert replay.status_code == 200
    assert replay.json()["id"] == body["id"]
    play = Play.objects.get(user=user, room=room)
    assert (play.played_on, play.escaped, play.minutes_left, play.note) == (date(2025, 6, 1), True, 7, "재도전 성공")
    assert Play.objects.count() == 1
    # One play.logged event: the replay is an update, not a second play.
    events = buffered({"play.logged"})
    assert [(event["user_id"], event["payload"]["room_id"], event["payload"]["source"]) for event in events] == [
        (user.id, room.id, "manual")
    ]
    assert events[0]["payload"]["region"] == "강남" and events[0]["payload"]["genres"] == ["추리"]


@pytest.mark.parametrize(
    ("body", "field", "message_part"),
    [
        ({"room_id": 987654, "played_on": "2025-03-01", "escaped": True}, "room_id", "테마를 찾을 수 없습니다"),
        ({"played_on": "2025-03-01", "escaped": True}, "room_id", "입력해 주세요"),
        ({"room_id": "ROOM", "played_on": "FUTURE", "escaped": True}, "played_on", "오늘 이후일 수 없습니다"),
        ({"room_id": "ROOM", "played_on": "2025-03-01", "escaped": True, "hints_used": -1}, "hints_used", "0 이상"),
        ({"room_id": "ROOM", "played_on": "2025-03-01", "escaped": True, "hints_used": 51}, "hints_used", "50 이하"),
        ({"room_id": "ROOM", "played_on": "2025/03/01", "escaped": True}, "played_on", "YYYY-MM-DD"),
        ({"room_id": "ROOM", "played_on": "2025-03-01", "escaped": "yes"}, "escaped", "true/false"),
        ({"room_id": "ROOM", "played_on": "2025-03-01", "escaped": True, "players": 0}, "players", "1 이상"),
        ({"room_id": "ROOM", "played_on": "2025-03-01", "escaped": True, "minutes_left": 301}, "minutes_left", "300 "),
    ],
)
def test_bad_input_is_a_korean_400_and_stores_nothing(auth_client, rooms, body, field, message_part):
    body = dict(body)
    if body.get("played_on") == "FUTURE":
        body["played_on"] = (timezone.localdate() + timedelta(days=1)).isoformat()
    if body.get("room_id") == "ROOM":
        body["room_id"] = rooms["셜록의 서재"].id
    response = auth_client.post("/me/plays", body, format="json")
    assert response.status_code == 400
    answer = response.json()
    assert field in answer["errors"], answer
    assert message_part in " ".join(answer["errors"][field]), answer
    assert answer["detail"] and any("\uac00" <= ch <= "\ud7a3" for ch in answer["detail"])
    assert not Play.objects.exists()


def test_list_filters_by_region_genre_and_year_and_paginates(auth_client, user, rooms):
    specs = [
        ("셜록의 서재", "2024-05-02"),  # 강남, 추리
        ("폐병원 403호", "2025-01-10"),  # 강남, 공포·스릴러
        ("홍대 흉가", "2025-02-11"),  # 홍대, 공포
        ("연남동 연애편지", "2025-03-12"),  # 홍대, 감성·로맨스
    ]
    for name, day in specs:
        response = auth_client.post(
            "/me/plays", {"room_id": rooms[name].id, "played_on": day, "escaped": True}, format="json"
        )
        assert response.status_code == 201

    def names(**params):
        body = auth_client.get("/me/plays", params).json()
        return [row["room"]["name"] for row in body["results"]], body["count"]

    assert names() == (["연남동 연애편지", "홍대 흉가", "폐병원 403호", "셜록의 서재"], 4)  # newest first
    assert names(region="홍대입구") == (["연남동 연애편지", "홍대 흉가"], 2)  # aliases as the search takes them
    assert names(genre="호러") == (["홍대 흉가", "폐병원 403호"], 2)
    assert names(year=2024) == (["셜록의 서재"], 1)
    assert names(region="강남", genre="공포", year=2025) == (["폐병원 403호"], 1)
    bad = auth_client.get("/me/plays", {"region": "화성"})
    assert bad.status_code == 400 and "알 수 없는 지역" in bad.json()["detail"]
    # Someone else's log is not mine.
    other = client_for(UserFactory())
    assert other.get("/me/plays").json()["count"] == 0


def test_patch_and_delete_my_play_and_404_for_anyone_else(auth_client, user, rooms):
    play = auth_client.post(
        "/me/plays", {"room_id": rooms["우주정거장 K"].id, "played_on": "2025-04-01", "escaped": False}, format="json"
    ).json()
    changed = auth_client.patch(f"/me/plays/{play['id']}", {"escaped": True, "hints_used": 2}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["escaped"], changed.json()["hints_used"], changed.json()["played_on"]) == (
        True,
        2,
        "2025-04-01",
    )
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    refused = auth_client.patch(f"/me/plays/{play['id']}", {"played_on": future}, format="json")
    assert refused.status_code == 400 and "오늘 이후" in refused.json()["detail"]

    other = client_for(UserFactory())
    assert other.get(f"/me/plays/{play['id']}").status_code == 404
    assert other.patch(f"/me/plays/{play['id']}", {"escaped": False}, format="json").status_code == 404
    assert other.delete(f"/me/plays/{play['id']}").status_code == 404
    assert Play.objects.get(id=play["id"]).escaped is True

    assert auth_client.delete(f"/me/plays/{play['id']}").status_code == 204
    assert auth_client.get(f"/me/plays/{play['id']}").status_code == 404
    assert not Play.objects.exists()


def test_stats_count_escapes_hints_genres_regions_months_and_difficulty(auth_client, rooms):
    plays = [
        ("셜록의 서재", "2025-01-05", True, 1),  # difficulty 3, 추리, 강남
        ("폐병원 403호", "2025-01-20", False, 4),  # difficulty 4, 공포·스릴러, 강남
        ("홍대 흉가", "2025-02-02", True, 0),  # difficulty 4, 공포, 홍대
    ]
    for name, day, escaped, hints in plays:
        auth_client.post(
            "/me/plays",
            {"room_id": rooms[name].id, "played_on": day, "escaped": escaped, "hints_used": hints},
            format="json",
        )
    stats = auth_client.get("/me/plays/stats").json()
    assert stats["rooms_played"] == 3 and stats["escaped"] == 2
    assert stats["escape_rate"] == pytest.approx(0.6667, abs=1e-4)
    assert stats["hints_per_room"] == pytest.approx(5 / 3, abs=0.01)
    assert stats["by_genre"][0] == {"key": "공포", "count": 2}
    assert {row["key"]: row["count"] for row in stats["by_genre"]} == {"공포": 2, "추리": 1, "스릴러": 1}
    assert {row["key"]: row["count"] for row in stats["by_region"]} == {"강남": 2, "홍대": 1}
    assert stats["by_month"] == [{"key": "2025-01", "count": 2}, {"key": "2025-02", "count": 1}]
    by_level = {row["difficulty"]: row for row in stats["by_difficulty"]}
    assert by_level[4] == {"difficulty": 4, "played": 2, "escaped": 1, "escape_rate": 0.5}
    assert by_level[3]["escape_rate"] == 1.0 and by_level[1]["escape_rate"] is None

    empty = client_for(UserFactory()).get("/me/plays/stats").json()
    assert empty["rooms_played"] == 0 and empty["escape_rate"] is None and empty["by_genre"] == []


def test_a_review_is_a_play_and_a_play_needs_no_review(auth_client, user, rooms):
    reviewed = rooms["저주받은 인형"]
    response = auth_client.post(
        f"/rooms/{reviewed.id}/reviews",
        {"rating": 4, "escaped": True, "hints_used": 2, "played_on": "2025-02-14"},
        format="json",
    )
    assert response.status_code == 201
    play = Play.objects.get(user=user, room=reviewed)
    assert (play.source, play.played_on, play.escaped, play.hints_used) == ("review", date(2025, 2, 14), True, 2)
    # Editing the review keeps the play it made in step; a play logged by hand keeps its own details.
    auth_client.post(f"/rooms/{reviewed.id}/reviews", {"rating": 3, "escaped": False}, format="json")
    play.refresh_from_db()
    assert play.escaped is False and play.played_on == timezone.localdate()

    logged = rooms["마지막 수술"]
    auth_client.post("/me/plays", {"room_id": logged.id, "played_on": "2024-12-24", "escaped": True}, format="json")
    assert not Review.objects.filter(room=logged).exists()
    ReviewFactory(user=user, room=logged, rating=5, escaped=False, played_on=date(2025, 1, 1))
    manual = Play.objects.get(user=user, room=logged)
    assert (manual.source, manual.played_on, manual.escaped) == ("manual", date(2024, 12, 24), True)
    assert Play.objects.filter(user=user).count() == 2
