import pytest
from django.test import Client

from rooms.models import Review, Room
from rooms.services import rooms_embed
from testing.factories import ReviewFactory, RoomFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def two_rooms():
    store = StoreFactory(name="관리자 테스트점", region="홍대")
    return RoomFactory(store=store, name="관리 공포", genres=["공포"]), RoomFactory(store=store, name="관리 추리")


def test_room_changelist_filters_search_and_shows_embedding_status(staff_client, two_rooms):
    horror, _ = two_rooms
    rooms_embed(room_ids=[horror.id])
    response = staff_client.get("/admin/rooms/room/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "최신" in page and "없음 (대기 중)" in page
    response = staff_client.get("/admin/rooms/room/", {"genre": "공포"})
    assert "관리 공포" in response.content.decode() and "관리 추리" not in response.content.decode()
    response = staff_client.get("/admin/rooms/room/", {"embedding": "missing"})
    assert "관리 추리" in response.content.decode() and "관리 공포" not in response.content.decode()
    for params in ({"region": "홍대"}, {"difficulty": "3"}, {"is_active__exact": "1"}, {"q": "관리"}):
        assert staff_client.get("/admin/rooms/room/", params).status_code == 200


def test_bulk_activate_deactivate_and_reembed(staff_client, two_rooms):
    ids = [str(room.id) for room in two_rooms]
    response = staff_client.post("/admin/rooms/room/", {"action": "deactivate", "_selected_action": ids})
    assert response.status_code == 302
    assert not Room.objects.filter(is_active=True).exists()
    staff_client.post("/admin/rooms/room/", {"action": "activate", "_selected_action": ids})
    assert Room.objects.filter(is_active=True).count() == 2

    rooms_embed(room_ids=[int(i) for i in ids])
    assert not Room.objects.filter(embedding_dirty=True).exists()
    staff_client.post("/admin/rooms/room/", {"action": "queue_embedding", "_selected_action": ids[:1]})
    assert list(Room.objects.filter(embedding_dirty=True).values_list("id", flat=True)) == [int(ids[0])]
    assert rooms_embed(room_ids=[int(ids[0])]) == 1  # the source was forgotten, so it really recomputes


def test_room_change_page_shows_inline_reviews_and_saves_through_the_service(staff_client, two_rooms, user):
    horror, _ = two_rooms
    ReviewFactory(user=user, room=horror, rating=5, text="최고의 공포 테마")
    response = staff_client.get(f"/admin/rooms/room/{horror.id}/change/")
    assert response.status_code == 200
    assert "최고의 공포 테마" in response.content.decode()

    form = {
        "store": horror.store_id,
        "name": "관리 공포 개정판",
        "genres": "공포,스릴러",
        "difficulty": 4,
        "fear": 5,
        "activity": 3,
        "min_players": 2,
        "max_players": 4,
        "duration_minutes": 80,
        "price": 28000,
        "description": "새로 고친 설명: 폐병원의 비명이 들립니다.",
        "is_active": "on",
        "reviews-TOTAL_FORMS": "1",
        "reviews-INITIAL_FORMS": "1",
        "reviews-MIN_NUM_FORMS": "0",
        "reviews-MAX_NUM_FORMS": "1000",
        "reviews-0-id": str(Review.objects.get().id),
        "reviews-0-room": str(horror.id),
    }
    response = staff_client.post(f"/admin/rooms/room/{horror.id}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    horror.refresh_from_db()
    assert horror.name == "관리 공포 개정판" and horror.genres == ["공포", "스릴러"]
    assert horror.embedding_dirty
    assert "비명" in str(horror.search_vector)

    form.update(min_players=5, max_players=4)
    response = staff_client.post(f"/admin/rooms/room/{horror.id}/change/", form)
    assert response.status_code == 200  # the form shows the constraint error instead of saving
    horror.refresh_from_db()
    assert horror.min_players == 2


def test_store_region_change_reaches_its_rooms(staff_client, two_rooms):
    store = two_rooms[0].store
    response = staff_client.post(
        f"/admin/rooms/store/{store.id}/change/",
        {"name": store.name, "region": "신촌", "address": store.address, "phone": store.phone, "booking_url": ""},
    )
    assert response.status_code == 302
    assert set(Room.objects.values_list("region", flat=True)) == {"신촌"}
    assert "신촌" in str(Room.objects.first().search_vector)


def test_deleting_a_review_in_admin_keeps_the_rating_exact(staff_client, two_rooms, user):
    horror, _ = two_rooms
    review = ReviewFactory(user=user, room=horror, rating=5)
    response = staff_client.post(f"/admin/rooms/review/{review.id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    horror.refresh_from_db()
    assert horror.review_count == 0 and horror.rating == 0


def test_staff_decide_spoilers_in_the_admin_and_who_decided_is_recorded(staff_client, staff_user, two_rooms, user):
    horror, _ = two_rooms
    review = ReviewFactory(user=user, room=horror, text="범인은 병원장이에요.")
    assert review.is_spoiler and review.spoiler_source == "detector"
    listing = staff_client.get("/admin/rooms/review/?spoiler=yes").content.decode()
    assert "관리 공포" in listing

    response = staff_client.post(
        "/admin/rooms/review/", {"action": "mark_not_spoiler", "_selected_action": [review.id]}
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.is_spoiler, review.spoiler_source, review.staff_decided_by) == (False, "staff", staff_user)
    assert Room.objects.get(id=horror.id).review_summary_dirty

    # Staff edit the text in the admin: the detector reads it again but staff's decision stays in force.
    page = staff_client.get(f"/admin/rooms/review/{review.id}/change/").content.decode()
    assert "감지 이유" in page and "범인" in page
    response = staff_client.post(
        f"/admin/rooms/review/{review.id}/change/",
        {"text": "범인은 원장이에요. 비번은 1234.", "escaped": "", "hints_used": "0", "played_on": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    review.refresh_from_db()
    assert review.text == "범인은 원장이에요. 비번은 1234."
    assert review.spoiler_reasons == ["범인", "정답", "숫자 코드"] and not review.is_spoiler

    staff_client.post("/admin/rooms/review/", {"action": "clear_staff_decision", "_selected_action": [review.id]})
    review.refresh_from_db()
    assert (review.is_spoiler, review.spoiler_source, review.staff_spoiler) == (True, "detector", None)


def test_twist_words_saved_in_the_room_admin_reflag_its_reviews(staff_client, two_rooms, user):
    _, mystery = two_rooms
    review = ReviewFactory(user=user, room=mystery, text="쌍둥이 언니가 다 꾸몄어요.")
    assert not review.is_spoiler
    form = {
        "store": mystery.store_id,
        "name": mystery.name,
        "genres": "추리",
        "difficulty": 3,
        "fear": 0,
        "activity": 2,
        "min_players": 2,
        "max_players": 4,
        "duration_minutes": 70,
        "price": 25000,
        "description": mystery.description,
        "is_active": "on",
        "spoiler_terms": "쌍둥이 언니, 지하 금고",
        "reviews-TOTAL_FORMS": "1",
        "reviews-INITIAL_FORMS": "1",
        "reviews-MIN_NUM_FORMS": "0",
        "reviews-MAX_NUM_FORMS": "1000",
        "reviews-0-id": str(review.id),
        "reviews-0-room": str(mystery.id),
    }
    response = staff_client.post(f"/admin/rooms/room/{mystery.id}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    mystery.refresh_from_db()
    assert mystery.spoiler_terms == ["쌍둥이 언니", "지하 금고"]
    review.refresh_from_db()
    assert review.is_spoiler and review.spoiler_reasons == ["테마 반전 단어"]
