"""The room pages: browse with filters (through the hybrid search), detail, and the review form."""

import pytest
from django.test import Client

from rooms.models import Review
from testing.factories import ReviewFactory, small_catalogue_build

pytestmark = pytest.mark.django_db


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def client() -> Client:
    """A client that navigates like a browser: /rooms/ answers it with pages, not the API."""
    return Client(headers={"Accept": BROWSER_ACCEPT})


@pytest.fixture
def catalog():
    return small_catalogue_build(embed=False)


def card_names(response) -> list[str]:
    return [hit.room.name for hit in response.context["hits"]]


def test_browse_without_filters_lists_rooms_best_rated_first(client: Client, catalog):
    response = client.get("/rooms/")

    assert response.status_code == 200
    names = card_names(response)
    assert names[0] == "마지막 수술"
    assert len(names) == len(catalog)
    assert "폐병원 403호" in response.content.decode()


def test_browse_filters_region_genre_players_difficulty_price(client, catalog):
    response = client.get("/rooms/", {"region": "강남", "genre": "공포", "players": "4"})

    assert response.status_code == 200
    names = card_names(response)
    assert set(names) == {"폐병원 403호", "저주받은 인형", "검은 숲의 의식"}

    response = client.get("/rooms/", {"region": "강남", "genre": "공포", "players": "4", "difficulty": "hard"})
    assert card_names(response) == ["폐병원 403호"]

    response = client.get("/rooms/", {"max_price": "25000", "region": "강남"})
    assert set(card_names(response)) == {"저주받은 인형", "검은 숲의 의식", "셜록의 서재", "우주정거장 K"}


def test_browse_rejects_bad_filters_with_messages_next_to_fields(client, catalog):
    response = client.get("/rooms/", {"players": "0", "region": "화성", "difficulty": "legendary"})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_players_error"' in html
    assert "인원은 1명 이상이어야 합니다." in html
    assert 'id="id_region_error"' in html
    assert "목록에 있는 값을 골라 주세요." in html
    assert response.context["hits"] == []


def test_detail_shows_facts_and_reviews_escaped(client, catalog, user):
    room = catalog["폐병원 403호"]
    ReviewFactory(user=user, room=room, rating=5, text="<script>alert(1)</script> 무서워요", escaped=True)

    response = client.get(f"/rooms/{room.id}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "폐병원 403호" in html
    assert "비밀의방 강남점" in html
    assert "27,000원" in html
    assert "2-5인" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 무서워요" in html
    assert "<script>alert(1)</script>" not in html
    assert "https://booking.example.com/gangnam" in html


def test_detail_of_missing_or_inactive_room_is_404(client, catalog):
    room = catalog["셜록의 서재"]
    room.is_active = False
    room.save()

    assert client.get(f"/rooms/{room.id}/").status_code == 404
    assert client.get("/rooms/999999/").status_code == 404


def test_review_form_creates_then_edits_review_and_updates_rating(
    client, catalog, user, django_capture_on_commit_callbacks
):

    room = catalog["저주받은 인형"]
    client.force_login(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/rooms/{room.id}/review/",
            {"rating": "5", "text": "연출 최고", "hints_used": "1", "played_on": "2026-11-01", "escaped": "on"},
        )

    assert response.status_code == 302
    assert response["Location"] == f"/rooms/{room.id}/#reviews"
    review = Review.objects.get(user=user, room=room)
    assert (review.rating, review.text, review.hints_used, review.escaped) == (5, "연출 최고", 1, True)
    room.refresh_from_db()
    assert room.review_count == 81

    page = client.get(f"/rooms/{room.id}/").content.decode()
    assert "후기를 등록했어요." in page
    assert "내 후기 고치기" in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/rooms/{room.id}/review/", {"rating": "3", "text": "다시 생각해보니 보통"})
    review.refresh_from_db()
    assert review.rating == 3
    room.refresh_from_db()
    assert room.review_count == 81


def test_review_form_errors_keep_nothing_and_show_next_to_fields(client, catalog, user):
    room = catalog["저주받은 인형"]
    client.force_login(user)

    response = client.post(
        f"/rooms/{room.id}/review/", {"text": "x" * 2001, "hints_used": "-1", "played_on": "2999-01-01"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "별점을 골라 주세요." in html
    assert "후기는 2,000자 이하로 적어 주세요." in html
    assert "힌트 수는 0 이상이어야 합니다." in html
    assert "플레이한 날은 오늘 이후일 수 없습니다." in html
    assert not Review.objects.filter(room=room).exists()


def test_review_needs_login_and_post(client, catalog):
    room = catalog["저주받은 인형"]

    response = client.post(f"/rooms/{room.id}/review/", {"rating": "5"})

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert client.get(f"/rooms/{room.id}/review/").status_code == 405
    assert not Review.objects.exists()


def test_browse_search_text_goes_through_hybrid_search(client):
    small_catalogue_build(embed=False)

    response = client.get("/rooms/", {"q": "병원 수술실"})

    assert response.status_code == 200
    names = card_names(response)
    assert names[0] in {"폐병원 403호", "마지막 수술"}
    assert {"폐병원 403호", "마지막 수술"} <= set(names[:3])


def test_rooms_paths_serve_api_clients_json_and_browsers_html(catalog, user):
    from rest_framework.test import APIClient

    from accounts.tokens import tokens_issue

    room = catalog["폐병원 403호"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=user)['access']}")

    listing = api.get("/rooms/", {"region": "강남"})
    detail = api.get(f"/rooms/{room.id}/", HTTP_ACCEPT="application/json")
    # A bearer token always means the API, whatever the Accept header says.
    browsable = api.get(f"/rooms/{room.id}/", HTTP_ACCEPT="text/html")

    assert listing["Content-Type"].startswith("application/json")
    assert detail["Content-Type"].startswith("application/json")
    assert detail.json()["name"] == "폐병원 403호"
    assert "rooms/detail.html" not in [template.name for template in browsable.templates]
    page = Client(headers={"Accept": BROWSER_ACCEPT}).get(f"/rooms/{room.id}/")
    assert page["Content-Type"].startswith("text/html")
    assert "Accept" in page["Vary"]
    assert "Accept" in listing["Vary"]


def test_browse_says_how_many_rooms_meet_the_conditions_and_a_search_says_it_is_ranked(client, catalog):
    everything = client.get("/rooms/", {"region": ""}).content.decode()
    gangnam = client.get("/rooms/", {"region": "강남"}).content.decode()
    searched = client.get("/rooms/", {"q": "병원"}).content.decode()

    assert "조건에 맞는 테마 8개" in everything
    assert f"조건에 맞는 테마 {sum(1 for room in catalog.values() if room.region == '강남')}개" in gangnam
    assert "관련도 높은 순으로" in searched and "이상" not in searched.split("result-meta", 1)[1][:80]


def test_a_room_without_reviews_says_so_instead_of_zero_stars(client, catalog):
    from rooms.models import Room

    room = catalog["셜록의 서재"]
    Room.objects.filter(id=room.id).update(rating=0, rating_sum=0, review_count=0)

    detail = client.get(f"/rooms/{room.id}/").content.decode()
    listing = client.get("/rooms/", {"region": "강남"}).content.decode()

    assert "아직 후기가 없어요" in detail and "★" not in detail.split("<h1", 1)[1].split("</header>", 1)[0]
    card = listing.split(f'data-room-id="{room.id}"', 1)[1].split("</article>", 1)[0]
    assert "후기 없음" in card and "후기 0개" not in card


def _tomorrow(hour: int):
    from datetime import timedelta

    from django.utils import timezone

    return timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(days=1)


def test_browse_with_a_window_shows_up_to_three_open_slots_linking_to_their_booking_pages(client, catalog):
    import re

    from testing.factories import TimeSlotFactory

    hospital, doll = catalog["폐병원 403호"], catalog["저주받은 인형"]
    slots = [
        TimeSlotFactory(room=hospital, starts_at=_tomorrow(hour), booking_url=f"https://book.example.com/s/{hour}")
        for hour in (18, 19, 20, 21)
    ]
    TimeSlotFactory(room=doll, starts_at=_tomorrow(19), status="booked")
    day = _tomorrow(0).date().isoformat()
    response = client.get("/rooms/", {"available_from": f"{day}T17:00", "available_to": f"{day}T23:00"})

    assert response.status_code == 200
    assert card_names(response) == ["폐병원 403호"]
    html = response.content.decode()
    links = re.findall(
        r'<a class="room-card__slot js-book" data-room-id="(\d+)" data-slot-id="(\d+)" href="([^"]+)"', html
    )
    assert links == [(str(hospital.id), str(slot.id), slot.booking_url) for slot in slots[:3]]
    assert "18:00" in html and "21:00" not in html


def test_browse_refuses_a_bad_window_next_to_the_field(client, catalog):
    response = client.get("/rooms/", {"available_from": "2026-12-05T21:00", "available_to": "2026-12-05T19:00"})
    assert response.status_code == 400
    assert "끝 시각(available_to)은 시작 시각(available_from)보다 뒤여야 합니다." in response.content.decode()


def test_detail_lists_the_next_open_slots(client, catalog):
    from testing.factories import TimeSlotFactory

    room = catalog["셜록의 서재"]
    open_slot = TimeSlotFactory(room=room, starts_at=_tomorrow(15))
    TimeSlotFactory(room=room, starts_at=_tomorrow(17), status="booked")
    html = client.get(f"/rooms/{room.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'data-slot-id="{open_slot.id}" href="{room.store.booking_url}"' in html
    assert html.count('class="room-card__slot js-book"') == 1
    # A Korean weekday whatever language the browser asks for, as the chat names a slot.
    day = _tomorrow(15)
    assert f">{'월화수목금토일'[day.weekday()]} {day.month}/{day.day} 15:00</a>" in html


def test_detail_shows_the_summary_and_hides_spoilers_behind_a_click(client, catalog, user):
    import re

    from rooms.summaries import room_summary_build

    room = catalog["저주받은 인형"]
    for text in (
        "인테리어가 예뻐서 사진 찍고 싶었어요.",
        "연출이 좋아서 몰입감이 대단했어요.",
        "관리 상태가 아쉬웠어요.",
    ):
        ReviewFactory(room=room, text=text)
    ReviewFactory(room=room, text="범인은 인형 가게 주인이에요.")
    ReviewFactory(room=room, text="주인공 동생이 다 꾸몄어요.", spoiler=True)
    room_summary_build(room_id=room.id)

    page = client.get(f"/rooms/{room.id}/").content.decode()
    summary = page[page.index('id="summary"') : page.index('id="reviews"')]
    assert "후기 요약" in summary and "인테리어가 예뻐서 사진 찍고 싶었어요." in summary
    assert "관리 상태가 아쉬웠어요." in summary and "난이도:" in summary
    assert "범인" not in summary and "동생" not in summary
    # Each spoiler review's text sits inside a closed <details> (no script: the page's CSP allows none inline).
    for text in ("범인은 인형 가게 주인이에요.", "주인공 동생이 다 꾸몄어요."):
        assert re.search(
            r'<details class="spoiler">\s*<summary>[^<]*</summary>\s*<p class="review__text">' + text, page
        )
    assert '<p class="review__text">인테리어가 예뻐서' in page  # a clean review is shown as it is

    # The author's own flag from the form.
    client.force_login(user)
    client.post(f"/rooms/{room.id}/review/", {"rating": "4", "text": "마지막 장면이 인상적이에요.", "spoiler": "on"})
    review = Review.objects.get(user=user, room=room)
    assert review.is_spoiler and review.spoiler_source == "author" and review.author_spoiler
    assert 'id="id_spoiler" checked' in client.get(f"/rooms/{room.id}/").content.decode()
