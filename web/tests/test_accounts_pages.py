"""The site's session pages: sign up, log in, log out and the preferences form on /me/."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "Escape!2026"


@pytest.fixture
def client() -> Client:
    return Client()


def signup(client, **overrides):
    data = {
        "username": "jisoo",
        "email": "jisoo@example.com",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        **overrides,
    }
    return client.post("/signup/", data)


def test_signup_creates_user_logs_in_and_redirects_to_chat(client):
    response = signup(client)

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = get_user_model().objects.get(username="jisoo")
    assert user.check_password(PASSWORD)
    assert client.session["_auth_user_id"] == str(user.pk)
    page = client.get("/").content.decode()
    assert "로그아웃" in page
    assert "가입을 환영해요" in page


def test_signup_shows_service_errors_next_to_their_fields(client, user):
    weak = "12345678"
    response = signup(client, username="MINJI", email="minji@example.com", password=weak, password_confirm=weak)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_username_error"' in html
    assert "이미 사용 중인 아이디입니다." in html
    assert 'id="id_email_error"' in html
    assert "이미 가입된 이메일입니다." in html
    assert 'id="id_password_error"' in html
    # The widget points at its error message and is marked invalid for screen readers.
    assert 'aria-describedby="id_username_helptext id_username_error"' in html
    assert 'aria-invalid="true"' in html
    assert get_user_model().objects.filter(username__iexact="minji").count() == 1


def test_signup_rejects_mismatched_confirmation(client):
    response = signup(client, password_confirm="Different!2026")

    assert response.status_code == 200
    assert "비밀번호가 서로 다릅니다." in response.content.decode()
    assert not get_user_model().objects.filter(username="jisoo").exists()


def test_signup_follows_only_local_next(client):
    response = signup(client, next="https://evil.example.com/")
    assert response["Location"] == "/"

    client.post("/logout/")
    response = signup(Client(), username="hana", email="hana@example.com", next="/me/")
    assert response["Location"] == "/me/"


def test_login_with_wrong_password_shows_error_and_401(client, user):
    response = client.post("/login/", {"username": "minji", "password": "wrong-password"})

    assert response.status_code == 401
    assert "아이디 또는 비밀번호가 올바르지 않습니다." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_missing_fields_are_marked(client):
    response = client.post("/login/", {"username": "", "password": ""})

    assert response.status_code == 400
    html = response.content.decode()
    assert "아이디를 입력해 주세요." in html
    assert "비밀번호를 입력해 주세요." in html


def test_login_success_starts_session_and_goes_to_next(client, user):
    response = client.post("/login/", {"username": "minji", "password": PASSWORD, "next": "/me/"})

    assert response.status_code == 302
    assert response["Location"] == "/me/"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_login_is_locked_after_repeated_failures(client, user, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post("/login/", {"username": "minji", "password": "wrong-password"})

    response = client.post("/login/", {"username": "minji", "password": PASSWORD})

    assert response.status_code == 429
    assert "로그인 시도가 너무 많습니다." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_needs_post_and_ends_session(client, user):
    client.force_login(user)

    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_me_requires_login(client):
    response = client.get("/me/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/me/"


def test_me_saves_preferences(client, user):
    client.force_login(user)

    response = client.post(
        "/me/", {"favorite_regions": ["강남", "홍대"], "favorite_genres": ["공포"], "usual_party_size": "4"}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.favorite_regions == ["강남", "홍대"]
    assert user.favorite_genres == ["공포"]
    assert user.usual_party_size == 4
    html = client.get("/me/").content.decode()
    assert "취향을 저장했어요" in html
    assert 'value="강남" id="id_favorite_regions_0" checked' in html


def test_me_rejects_bad_preferences_and_keeps_stored_ones(client, user):
    user.favorite_genres = ["추리"]
    user.save()
    client.force_login(user)

    response = client.post("/me/", {"favorite_genres": ["없는장르"], "usual_party_size": "99"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "인원은 20명 이하여야 합니다." in html
    assert 'id="id_usual_party_size_error"' in html
    user.refresh_from_db()
    assert user.favorite_genres == ["추리"]
    assert user.usual_party_size is None


def test_staff_insights_forbidden_for_members_and_redirects_guests(client, user):
    assert client.get("/staff/insights/")["Location"] == "/login/?next=/staff/insights/"
    client.force_login(user)
    response = client.get("/staff/insights/")
    assert response.status_code == 403
    assert "권한이 없어요" in response.content.decode()


def test_pages_are_korean_and_link_the_stylesheet(client):
    html = client.get("/login/").content.decode()

    assert '<html lang="ko">' in html
    assert "/static/css/app.css" in html
    assert "본문 바로가기" in html


def test_me_lists_my_reviews_chats_and_rooms_picked_for_me(client, user):
    from testing.factories import ChatSessionFactory, ReviewFactory, small_catalogue_build

    rooms = small_catalogue_build(embed=False)
    ReviewFactory(user=user, room=rooms["연남동 연애편지"], rating=4, text="<b>설렜어요</b>")
    ChatSessionFactory(user=user, title="홍대 감성 테마")
    client.force_login(user)

    response = client.get("/me/")

    html = response.content.decode()
    assert "&lt;b&gt;설렜어요&lt;/b&gt;" in html
    assert "홍대 감성 테마" in html
    picked = [room.name for room in response.context["recommendations"]]
    assert picked
    assert "연남동 연애편지" not in picked  # already played
    assert all(room.pick_reason for room in response.context["recommendations"])
    assert response.context["recommendations"][0].pick_reason in html


def _auth_rate(settings, rate: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": rate},
    }


def test_signup_and_login_posts_are_throttled_per_ip(client, user, settings):
    _auth_rate(settings, "3/min")
    settings.LOGIN_FAILURE_LIMIT = 100  # the rate, not the brute-force guard, is what stops these

    codes = [client.post("/login/", {"username": "minji", "password": "wrong"}).status_code for _ in range(3)]
    throttled = client.post("/login/", {"username": "minji", "password": PASSWORD})
    signup_throttled = signup(client)

    assert codes == [401, 401, 401]
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    assert "요청이 너무 많습니다." in throttled.content.decode()
    assert "_auth_user_id" not in client.session
    assert signup_throttled.status_code == 429
    assert not get_user_model().objects.filter(username="jisoo").exists()
    # The form pages themselves still open, and another address is not affected.
    assert client.get("/login/").status_code == 200
    other = Client(REMOTE_ADDR="198.51.100.23")
    assert other.post("/login/", {"username": "minji", "password": PASSWORD}).status_code == 302
