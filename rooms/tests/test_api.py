import pytest
from django.db.models import Avg

from rooms.models import Review, Room
from rooms.services import rooms_embed
from testing.factories import RoomFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rooms():
    gangnam = StoreFactory(name="비밀의열쇠 강남점", region="강남", booking_url="https://booking.example.com/gangnam")
    hongdae = StoreFactory(name="퍼즐하우스 홍대점", region="홍대")
    made = [
        RoomFactory(store=gangnam, name="폐병원 404호", genres=["공포"], fear=5, description="무서운 폐병원 탈출."),
        RoomFactory(store=gangnam, name="탐정 사무소", genres=["추리"], description="탐정이 되어 범인을 찾습니다."),
        RoomFactory(store=hongdae, name="저주받은 저택", genres=["공포", "스릴러"], fear=4, max_players=6),
    ]
    rooms_embed(room_ids=[room.id for room in made])
    return made


def test_room_detail_has_the_contract_fields(api_client, rooms):
    room = rooms[0]
    response = api_client.get(f"/rooms/{room.id}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == room.id
    assert body["name"] == "폐병원 404호"
    assert body["store"] == {"id": room.store_id, "name": "비밀의열쇠 강남점", "region": "강남"}
    assert body["region"] == "강남"
    assert body["genres"] == ["공포"]
    assert body["booking_url"] == "https://booking.example.com/gangnam"
    for key in ("difficulty", "fear", "activity", "min_players", "max_players", "duration_minutes", "price"):
        assert body[key] == getattr(room, key)
    assert body["rating"] == 0 and body["review_count"] == 0


def test_room_detail_404_in_korean_for_missing_and_inactive(api_client, rooms):
    assert api_client.get("/rooms/999999/").json()["detail"] == "테마를 찾을 수 없습니다."
    Room.objects.filter(id=rooms[0].id).update(is_active=False)
    assert api_client.get(f"/rooms/{rooms[0].id}/").status_code == 404


def test_room_list_filters_and_paginates(api_client, rooms):
    body = api_client.get("/rooms/", {"region": "강남역"}).json()
    assert body["count"] == 2
    assert {row["name"] for row in body["results"]} == {"폐병원 404호", "탐정 사무소"}
    body = api_client.get("/rooms/", {"genres": "호러", "players": 6}).json()
    assert [row["name"] for row in body["results"]] == ["저주받은 저택"]
    body = api_client.get("/rooms/", {"exclude_genres": "공포"}).json()
    assert [row["name"] for row in body["results"]] == ["탐정 사무소"]
    assert "next" in body and "previous" in body


@pytest.mark.parametrize(
    ("params", "message_part"),
    [
        ({"q": ""}, "검색어"),
        ({"q": "   "}, "검색어"),
        ({}, "검색어"),
        ({"q": "가" * 501}, "500자"),
        ({"q": "강남 & 공포"}, "특수문자"),
        ({"q": "강남 | 공포"}, "특수문자"),
        ({"q": "!공포"}, "특수문자"),
        ({"q": "(공포)"}, "특수문자"),
        ({"q": "공포:*"}, "특수문자"),
        ({"q": "공포'"}, "특수문자"),
        ({"q": "공포", "region": "제주"}, "알 수 없는 지역"),
        ({"q": "공포", "genres": "먹방"}, "알 수 없는 장르"),
        ({"q": "공포", "exclude_genres": "공포,먹방"}, "알 수 없는 장르"),
        ({"q": "공포", "players": "0"}, "인원"),
        ({"q": "공포", "players": "21"}, "인원"),
        ({"q": "공포", "players": "셋"}, "숫자"),
        ({"q": "공포", "difficulty_min": "6"}, "난이도"),
        ({"q": "공포", "difficulty_min": "4", "difficulty_max": "2"}, "최소 난이도"),
        ({"q": "공포", "max_price": "-1"}, "가격"),
        ({"q": "공포", "max_fear": "9"}, "공포도"),
        ({"q": "공포", "limit": "1000"}, "결과 개수"),
        ({"q": "공포", "method": "magic"}, "검색 방식"),
    ],
)
def test_search_rejects_bad_input_with_korean_400(api_client, rooms, params, message_part):
    response = api_client.get("/rooms/search", params)
    assert response.status_code == 400, response.content
    assert message_part in response.json()["detail"]


def test_room_list_rejects_bad_filters(api_client, rooms):
    response = api_client.get("/rooms/", {"region": "Atlantis"})
    assert response.status_code == 400
    assert "알 수 없는 지역" in response.json()["detail"]


def test_search_returns_ranked_rooms_with_leg_ranks(api_client, rooms):
    response = api_client.get("/rooms/search", {"q": "강남에서 무서운 테마", "players": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["method"] == "rrf"
    assert body["results"][0]["name"] == "폐병원 404호"
    first = body["results"][0]
    assert first["keyword_rank"] == 1
    assert first["semantic_rank"] is not None
    assert first["score"] > 0
    assert first["store"]["region"] == "강남"
    response = api_client.get("/rooms/search", {"q": "무서운", "region": "홍대"})
    assert [row["name"] for row in response.json()["results"]] == ["저주받은 저택"]


def test_review_needs_login(api_client, rooms):
    response = api_client.post(f"/rooms/{rooms[0].id}/reviews", {"rating": 5}, format="json")
    assert response.status_code == 401
    assert not Review.objects.exists()


def test_review_create_then_edit_keeps_one_review_and_exact_rating(auth_client, user, rooms):
    room = rooms[0]
    url = f"/rooms/{room.id}/reviews"
    response = auth_client.post(
        url, {"rating": 4, "text": "무서웠어요", "escaped": True, "hints_used": 1}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["room"] == {"id": room.id, "rating": 4.0, "review_count": 1}

    response = auth_client.post(url, {"rating": 2, "text": "다시 생각해보니 별로"}, format="json")
    assert response.status_code == 200
    assert response.json()["room"] == {"id": room.id, "rating": 2.0, "review_count": 1}
    assert Review.objects.filter(user=user, room=room).count() == 1

    other = UserFactory(username="jiho", email="jiho@example.com")
    from rooms.services import review_upsert

    review_upsert(user=other, room=room, rating=5)
    room.refresh_from_db()
    assert room.review_count == 2
    assert room.rating == pytest.approx(Review.objects.filter(room=room).aggregate(avg=Avg("rating"))["avg"])
    listing = auth_client.get(url).json()
    assert listing["count"] == 2


def test_review_adds_to_imported_totals(auth_client, rooms):
    room = rooms[1]
    Room.objects.filter(id=room.id).update(rating=4.0, rating_sum=40, review_count=10)
    auth_client.post(f"/rooms/{room.id}/reviews", {"rating": 1}, format="json")
    room.refresh_from_db()
    assert room.review_count == 11
    assert room.rating == pytest.approx(41 / 11, abs=1e-4)


@pytest.mark.parametrize(
    ("body", "message_part"),
    [
        ({}, "평점"),
        ({"rating": 0}, "1~5"),
        ({"rating": 6}, "1~5"),
        ({"rating": "다섯"}, "평점"),
        ({"rating": 5, "text": "가" * 2001}, "2000자"),
        ({"rating": 5, "hints_used": -1}, "힌트"),
        ({"rating": 5, "played_on": "2999-01-01"}, "오늘 이후"),
        ({"rating": 5, "played_on": "어제"}, "YYYY-MM-DD"),
        ({"rating": 5, "escaped": "글쎄"}, "true/false"),
    ],
)
def test_review_rejects_bad_input(auth_client, rooms, body, message_part):
    response = auth_client.post(f"/rooms/{rooms[0].id}/reviews", body, format="json")
    assert response.status_code == 400
    assert message_part in response.json()["detail"]
    assert not Review.objects.exists()
    rooms[0].refresh_from_db()
    assert rooms[0].review_count == 0


def test_review_on_missing_room_is_404(auth_client):
    response = auth_client.post("/rooms/424242/reviews", {"rating": 5}, format="json")
    assert response.status_code == 404
    assert response.json()["detail"] == "테마를 찾을 수 없습니다."


def test_bulk_reviews_add_to_room_ratings(rooms, user):
    from rooms.services import reviews_bulk_create

    other = UserFactory(username="bulk", email="bulk@example.com")
    Room.objects.filter(id=rooms[0].id).update(rating=4.0, rating_sum=8, review_count=2)
    reviews_bulk_create(
        reviews=[
            Review(user=user, room=rooms[0], rating=5),
            Review(user=other, room=rooms[0], rating=2),
            Review(user=user, room=rooms[1], rating=3),
        ]
    )
    first, second = Room.objects.get(id=rooms[0].id), Room.objects.get(id=rooms[1].id)
    assert (first.review_count, first.rating_sum) == (4, 15)
    assert first.rating == pytest.approx(15 / 4)
    assert (second.review_count, second.rating) == (1, pytest.approx(3.0))


def test_room_detail_and_cards_carry_the_spoiler_free_summary(api_client, rooms):
    from rooms.summaries import room_summary_build
    from testing.factories import ReviewFactory

    room = rooms[0]
    assert api_client.get(f"/rooms/{room.id}/").json()["review_summary"] is None
    for text in (
        "인테리어가 예뻐서 사진 찍고 싶었어요.",
        "연출이 좋아서 몰입감이 대단했어요.",
        "관리 상태가 아쉬웠어요.",
    ):
        ReviewFactory(room=room, text=text)
    ReviewFactory(room=room, text="비밀번호는 0427이에요.")
    room_summary_build(room_id=room.id)

    body = api_client.get(f"/rooms/{room.id}/").json()
    summary = body["review_summary"]
    assert set(summary["liked"]) == {"인테리어가 예뻐서 사진 찍고 싶었어요.", "연출이 좋아서 몰입감이 대단했어요."}
    assert summary["disliked"] == ["관리 상태가 아쉬웠어요."]
    assert set(summary["consensus"]) == {"difficulty", "fear", "activity"}
    assert summary["review_count"] == 3 and summary["source"] == "extractive"
    assert body["summary_line"].startswith("좋았던 점 연출·인테리어 · 아쉬운 점 관리")
    listed = {row["id"]: row for row in api_client.get("/rooms/").json()["results"]}
    assert listed[room.id]["summary_line"] == body["summary_line"]
    assert listed[rooms[1].id]["summary_line"] == ""


def test_a_review_posted_with_the_spoiler_flag_is_hidden_and_says_who_decided(auth_client, rooms):
    room = rooms[1]
    response = auth_client.post(
        f"/rooms/{room.id}/reviews", {"rating": 4, "text": "주인공 동생이 다 꾸몄어요.", "spoiler": True}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["is_spoiler"] is True and response.json()["spoiler_source"] == "author"

    response = auth_client.post(f"/rooms/{room.id}/reviews", {"rating": 4, "text": "범인은 탐정이에요."}, format="json")
    assert response.status_code == 200
    assert (response.json()["is_spoiler"], response.json()["spoiler_source"]) == (True, "detector")

    response = auth_client.post(f"/rooms/{room.id}/reviews", {"rating": 4, "spoiler": "maybe"}, format="json")
    assert response.status_code == 400
    assert "스포일러 여부" in str(response.json())

    listed = auth_client.get(f"/rooms/{room.id}/reviews").json()["results"]
    assert listed[0]["is_spoiler"] is True
