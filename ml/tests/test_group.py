"""Played rooms never come back (search, personalized, /me/, party recommendations), and party recommendations hold
every member's limits; the group score is least misery blended with the average of the members' ranks."""

import json
from datetime import date

import numpy as np
import pytest
from django.test import Client
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from accounts.tokens import tokens_issue
from analytics.buffer import key
from ml.group import group_scores, percentile_ranks
from plays.services import party_create, party_join, play_log
from testing.factories import ReviewFactory, RoomFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=user)['access']}")
    return client


# --- the group score -----------------------------------------------------------------------------


def test_percentile_ranks_share_ties_and_span_zero_to_one():
    ranks = percentile_ranks(np.array([[3.0, 1.0, 2.0, 2.0], [0.0, 0.0, 0.0, 0.0]]))
    assert ranks[0].tolist() == [1.0, 0.0, 0.5, 0.5]
    assert ranks[1].tolist() == [0.5, 0.5, 0.5, 0.5]  # no preference: every room in the middle
    assert percentile_ranks(np.array([[7.0]])).tolist() == [[1.0]]


def test_least_misery_avoids_the_room_one_member_hates_the_average_does_not():
    # Room 0: three members love it, the fourth hates it. Room 1: everyone finds it fine.
    scores = np.array([[10.0, 6.0, 0.0], [10.0, 6.0, 1.0], [9.0, 5.0, 2.0], [0.0, 6.0, 5.0]])
    average = group_scores(scores, misery_weight=0.0)
    misery = group_scores(scores, misery_weight=1.0)
    blend = group_scores(scores, misery_weight=0.5)
    assert int(np.argmax(average)) == 0 and average[0] > average[1]
    assert int(np.argmax(misery)) == 1 and misery[0] == 0.0
    assert int(np.argmax(blend)) == 1
    assert np.allclose(blend, 0.5 * misery + 0.5 * average)


# --- a catalogue with a party --------------------------------------------------------------------


@pytest.fixture
def world(mlflow_store):
    """Eight rooms; minji, jiho (dislikes 공포 and 스릴러) and sua (a 쫄보, fear at most 1)."""
    gangnam = StoreFactory(name="강남 테스트점", region="강남")
    hongdae = StoreFactory(name="홍대 테스트점", region="홍대")
    specs = [
        # name, store, genres, fear, min, max, rating, reviews
        ("인기 추리", gangnam, ["추리"], 0, 2, 4, 4.9, 300),
        ("공포의 밤", gangnam, ["공포"], 5, 2, 4, 4.8, 250),
        ("스릴러 하우스", gangnam, ["스릴러"], 2, 2, 4, 4.7, 200),
        ("살짝 무서운 추리", gangnam, ["추리", "미스터리"], 2, 2, 4, 4.6, 180),
        ("둘만의 방", gangnam, ["감성"], 0, 2, 2, 4.5, 150),
        ("대규모 작전", hongdae, ["잠입"], 1, 5, 8, 4.4, 120),
        ("홍대 감성", hongdae, ["감성", "로맨스"], 0, 2, 4, 4.3, 100),
        ("홍대 모험", hongdae, ["모험"], 1, 2, 6, 4.2, 90),
    ]
    rooms = {
        name: RoomFactory(
            store=store,
            name=name,
            genres=genres,
            fear=fear,
            min_players=low,
            max_players=high,
            rating=rating,
            review_count=reviews,
            description=f"{name} 테마입니다.",
        )
        for name, store, genres, fear, low, high, rating, reviews in specs
    }
    minji = UserFactory(username="minji", favorite_genres=["추리"])
    jiho = UserFactory(username="jiho", disliked_genres=["공포", "스릴러"])
    sua = UserFactory(username="sua", max_fear=1, favorite_regions=["홍대"])
    party = party_create(user=minji, name="목요일팟")
    for member in (jiho, sua):
        party_join(user=member, invite_code=party.invite_code)
    play_log(user=minji, room=rooms["인기 추리"], played_on=date(2025, 1, 5), escaped=True)
    ReviewFactory(user=jiho, room=rooms["홍대 감성"], rating=5)  # a review is a play
    return {"rooms": rooms, "minji": minji, "jiho": jiho, "sua": sua, "party": party}


def test_search_leaves_out_played_rooms_by_default_and_marks_them_on_request(world, api_client):
    minji = client_for(world["minji"])
    query = {"q": "추리", "limit": 10}
    mine = [row["name"] for row in minji.get("/rooms/search", query).json()["results"]]
    assert "인기 추리" not in mine and "살짝 무서운 추리" in mine
    shown = minji.get("/rooms/search", {**query, "exclude_played": "false"}).json()["results"]
    played = {row["name"]: row["played"] for row in shown}
    assert played["인기 추리"] is True and played["살짝 무서운 추리"] is False
    # Someone who has not played it, and anonymous visitors, see it.
    anonymous = [row["name"] for row in api_client.get("/rooms/search", query).json()["results"]]
    assert "인기 추리" in anonymous
    assert "인기 추리" in [
        row["name"] for row in client_for(world["sua"]).get("/rooms/search", query).json()["results"]
    ]
    bad = minji.get("/rooms/search", {**query, "exclude_played": "maybe"})
    assert bad.status_code == 400 and "exclude_played" in bad.json()["errors"]


def test_personalized_and_my_page_leave_out_played_rooms(world):
    minji = world["minji"]
    body = client_for(minji).get(f"/analytics/personalized/{minji.id}", {"limit": 50}).json()
    names = [row["room"]["name"] for row in body["results"]]
    assert "인기 추리" not in names and len(names) == len(world["rooms"]) - 1
    jiho = world["jiho"]
    names = [
        row["room"]["name"] for row in client_for(jiho).get(f"/analytics/personalized/{jiho.id}").json()["results"]
    ]
    assert "홍대 감성" not in names  # reviewed
    page = Client()
    page.force_login(minji)
    picks = page.get("/me/", HTTP_ACCEPT="text/html").context["recommendations"]
    assert picks and "인기 추리" not in [room.name for room in picks]


def test_party_recommendations_hold_every_members_limits(world, django_capture_on_commit_callbacks):
    party, sua = world["party"], world["sua"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(sua).get(f"/parties/{party.id}/recommendations")
    assert response.status_code == 200, response.json()
    body = response.json()
    names = [row["room"]["name"] for row in body["results"]]
    # Left out: 인기 추리 (minji played it), 홍대 감성 (jiho reviewed it), 공포의 밤 and 스릴러 하우스 (jiho's
    # dislikes), 살짝 무서운 추리 (fear 2 > sua's 1), 둘만의 방 (two players only), 대규모 작전 (five at least).
    assert names == ["홍대 모험"]
    assert body["limits"] == {
        "players": 3,
        "excluded_genres": ["공포", "스릴러"],
        "max_fear": 1,
        "played_rooms_excluded": 2,
    }
    (pick,) = body["results"]
    assert [reason["username"] for reason in pick["member_reasons"]] == ["minji", "jiho", "sua"]
    assert (
        pick["reason"]
        == "minji: 모험 새로 도전, jiho: 공포·스릴러 싫어함 → 공포·스릴러 제외, sua: 쫄보 → 공포도 1 이하"
    )
    events = [json.loads(raw) for raw in get_redis_connection("default").lrange(key("buffer"), 0, -1)]
    shown = [event for event in events if event["type"] == "party.recommendations_shown"]
    assert len(shown) == 1 and shown[0]["user_id"] == sua.id
    assert shown[0]["payload"]["room_ids"] == [world["rooms"]["홍대 모험"].id]
    assert sorted(shown[0]["payload"]["member_ids"]) == sorted(u.id for u in (world["minji"], world["jiho"], sua))


def test_party_recommendations_filters_and_bad_input(world):
    party, minji = world["party"], client_for(world["minji"])
    by_region = minji.get(f"/parties/{party.id}/recommendations", {"region": "홍대입구"}).json()
    assert {row["room"]["region"] for row in by_region["results"]} <= {"홍대"}
    for params, field in (({"difficulty": "extreme"}, "difficulty"), ({"genres": "없는장르"}, "genres")):
        response = minji.get(f"/parties/{party.id}/recommendations", params)
        assert response.status_code == 400 and field in response.json()["errors"]
    adventure = minji.get(
        f"/parties/{party.id}/recommendations", {"genres": "모험,추리", "difficulty": "normal"}
    ).json()
    assert [row["room"]["name"] for row in adventure["results"]] == ["홍대 모험"]
    mystery = minji.get(f"/parties/{party.id}/recommendations", {"genres": "추리"}).json()
    assert mystery["results"] == []  # 인기 추리: minji played it; 살짝 무서운 추리: fear 2 > sua's 1


def test_party_recommendations_with_a_time_window(world):
    from datetime import datetime, timedelta

    from django.utils import timezone

    from testing.factories import TimeSlotFactory

    party, minji = world["party"], client_for(world["minji"])
    start = (timezone.localtime() + timedelta(days=3)).replace(hour=19, minute=0, second=0, microsecond=0)
    slot = TimeSlotFactory(room=world["rooms"]["홍대 모험"], starts_at=start + timedelta(minutes=30))
    TimeSlotFactory(room=world["rooms"]["홍대 모험"], starts_at=start + timedelta(hours=3))  # after the window
    window = {"available_from": start.isoformat(), "available_to": (start + timedelta(hours=2)).isoformat()}
    body = minji.get(f"/parties/{party.id}/recommendations", window).json()
    assert [row["room"]["name"] for row in body["results"]] == ["홍대 모험"]
    # Each room carries its open slots in the window, as search and chat cards do.
    assert [(s["id"], s["booking_url"]) for s in body["results"][0]["slots"]] == [(slot.id, slot.effective_booking_url)]
    assert all(row["slots"] == [] for row in minji.get(f"/parties/{party.id}/recommendations").json()["results"])
    next_day = {key: (datetime.fromisoformat(value) + timedelta(days=1)).isoformat() for key, value in window.items()}
    assert minji.get(f"/parties/{party.id}/recommendations", next_day).json()["results"] == []  # nothing open then
    backwards = {"available_from": window["available_to"], "available_to": window["available_from"]}
    response = minji.get(f"/parties/{party.id}/recommendations", backwards)
    assert response.status_code == 400 and "available_to" in response.json()["errors"]
