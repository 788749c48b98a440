import time

import jwt
import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "Escape!2026"


def register(client, **overrides):
    body = {"username": "jisoo", "email": "jisoo@example.com", "password": PASSWORD, **overrides}
    return client.post("/auth/register", body, format="json")


def login(client, username="minji", password=PASSWORD, **extra):
    return client.post("/auth/login", {"username": username, "password": password}, format="json", **extra)


def bearer(client, access):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


# --- register ---------------------------------------------------------------------------------


def test_register_creates_user_with_preferences_and_returns_tokens(api_client):
    response = register(api_client, favorite_regions=["강남"], favorite_genres=["추리", "공포"], usual_party_size=4)

    assert response.status_code == 201
    body = response.json()
    assert body["user"]["username"] == "jisoo"
    assert body["user"]["favorite_genres"] == ["추리", "공포"]
    assert "password" not in body["user"]
    user = User.objects.get(username="jisoo")
    assert user.check_password(PASSWORD)
    assert user.usual_party_size == 4
    me = bearer(api_client, body["access"]).get("/auth/me")
    assert me.json()["username"] == "jisoo"


def test_register_duplicate_username_is_409_in_korean_and_creates_nothing(api_client, user):
    response = register(api_client, username="MINJI", email="other@example.com")

    assert response.status_code == 409
    assert response.json()["errors"]["username"] == ["이미 사용 중인 아이디입니다."]
    assert User.objects.count() == 1


def test_register_duplicate_email_ignores_case(api_client, user):
    response = register(api_client, email="MinJi@Example.com")

    assert response.status_code == 409
    assert "email" in response.json()["errors"]


@pytest.mark.parametrize("password", ["short1!", "12345678901", "password", "jisoo1234"])
def test_register_weak_password_is_400_with_reason(api_client, password):
    response = register(api_client, password=password)

    assert response.status_code == 400
    errors = response.json()["errors"]["password"]
    assert errors and all(any("\uac00" <= ch <= "\ud7a3" for ch in message) for message in errors)
    assert not User.objects.filter(username="jisoo").exists()


def test_register_missing_fields_lists_each_field(api_client):
    response = api_client.post("/auth/register", {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "email", "password"}
    assert response.json()["errors"]["username"] == ["이 필드는 필수 항목입니다."]


def test_register_malformed_json_is_400(api_client):
    response = api_client.post("/auth/register", '{"username": "a",', content_type="application/json")

    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_register_unknown_region_is_400(api_client):
    response = register(api_client, favorite_regions=["뉴욕"])

    assert response.status_code == 400
    assert "favorite_regions" in response.json()["errors"]


def test_register_invalid_email_is_400(api_client):
    response = register(api_client, email="not-an-email")

    assert response.status_code == 400
    assert "email" in response.json()["errors"]


# --- login --------------------------------------------------------------------------------------


def test_login_returns_short_access_and_seven_day_refresh(api_client, user):
    response = login(api_client)

    assert response.status_code == 200
    body = response.json()
    access = jwt.decode(body["access"], options={"verify_signature": False})
    refresh = jwt.decode(body["refresh"], options={"verify_signature": False})
    assert access["exp"] - access["iat"] <= 5 * 60
    assert refresh["exp"] - refresh["iat"] <= 7 * 24 * 3600
    assert bearer(api_client, body["access"]).get("/auth/me").json()["id"] == user.id


def test_login_wrong_password_is_401(api_client, user):
    response = login(api_client, password="wrong-password")

    assert response.status_code == 401
    assert response.json()["detail"] == "아이디 또는 비밀번호가 올바르지 않습니다."


def test_login_missing_password_is_400(api_client):
    response = api_client.post("/auth/login", {"username": "minji"}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()["errors"]


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_login_locks_username_after_failures_before_checking_password(api_client, user):
    for _ in range(3):
        assert login(api_client, password="nope").status_code == 401

    locked = login(api_client)  # right password, still refused

    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "로그인 시도가 너무 많습니다" in locked.json()["detail"]


@override_settings(LOGIN_FAILURE_LIMIT=2, LOGIN_FAILURE_IP_FACTOR=2)
def test_login_locks_ip_across_usernames(api_client, user):
    for name in ["a1", "a2", "a3", "a4"]:
        assert login(api_client, username=name, password="nope").status_code == 401

    assert login(api_client).status_code == 429
    other_ip = login(api_client, REMOTE_ADDR="10.9.8.7")
    assert other_ip.status_code == 200


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_successful_login_resets_username_failures(api_client, user):
    login(api_client, password="nope")
    login(api_client, password="nope")
    assert login(api_client).status_code == 200

    login(api_client, password="nope")
    login(api_client, password="nope")
    assert login(api_client).status_code == 200


def test_login_attempts_are_counted_in_redis_before_the_password_is_checked(user):
    from django.core.cache import cache
    from django_redis import get_redis_connection

    from accounts.login_guard import login_guard_reserve

    for _ in range(4):
        login_guard_reserve(username="Minji", ip="1.2.3.4")

    redis = get_redis_connection("default")
    assert int(redis.get(cache.make_key("login:fail:user:minji"))) == 4
    assert 0 < redis.ttl(cache.make_key("login:fail:ip:1.2.3.4")) <= settings.LOGIN_FAILURE_WINDOW_SECONDS


# --- refresh ------------------------------------------------------------------------------------


def test_refresh_rotates_and_blacklists_old_token(api_client, user):
    tokens = login(api_client).json()

    rotated = api_client.post("/auth/refresh", {"refresh": tokens["refresh"]}, format="json")

    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh"] != tokens["refresh"]
    assert bearer(api_client, new["access"]).get("/auth/me").status_code == 200
    reused = api_client.post("/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert reused.status_code == 401
    assert api_client.post("/auth/refresh", {"refresh": new["refresh"]}, format="json").status_code == 200


def test_refresh_keeps_absolute_expiry_from_login(api_client, user):
    tokens = login(api_client).json()
    original_exp = jwt.decode(tokens["refresh"], options={"verify_signature": False})["exp"]
    time.sleep(1.1)

    new = api_client.post("/auth/refresh", {"refresh": tokens["refresh"]}, format="json").json()

    assert jwt.decode(new["refresh"], options={"verify_signature": False})["exp"] == original_exp


def test_refresh_with_garbage_is_401_and_missing_is_400(api_client):
    assert api_client.post("/auth/refresh", {"refresh": "garbage"}, format="json").status_code == 401
    assert api_client.post("/auth/refresh", {}, format="json").status_code == 400


def test_refresh_of_expired_token_is_refused(api_client, user):
    refresh = RefreshToken.for_user(user)
    refresh.set_exp(lifetime=-__import__("datetime").timedelta(seconds=1))

    assert api_client.post("/auth/refresh", {"refresh": str(refresh)}, format="json").status_code == 401


# --- logout and revocation ----------------------------------------------------------------------


def test_logout_revokes_access_token_at_once_and_blacklists_refresh(api_client, user):
    tokens = login(api_client).json()
    bearer(api_client, tokens["access"])
    assert api_client.get("/auth/me").status_code == 200

    response = api_client.post("/auth/logout", {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 204
    after = api_client.get("/auth/me")
    assert after.status_code == 401
    assert "로그아웃" in after.json()["detail"]
    api_client.credentials()
    assert api_client.post("/auth/refresh", {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_logout_revocation_lives_in_redis_until_token_expiry(api_client, user):
    from django.core.cache import cache

    tokens = login(api_client).json()
    payload = jwt.decode(tokens["access"], options={"verify_signature": False})
    bearer(api_client, tokens["access"]).post("/auth/logout", {}, format="json")

    ttl = cache.ttl(f"jwt:revoked:{payload['jti']}")
    assert 0 < ttl <= payload["exp"] - time.time() + 1


def test_logout_with_someone_elses_refresh_is_refused(api_client, user, staff_user):
    mine = login(api_client).json()
    theirs = login(api_client, username="staff").json()

    response = bearer(api_client, mine["access"]).post("/auth/logout", {"refresh": theirs["refresh"]}, format="json")

    assert response.status_code == 401
    api_client.credentials()
    assert api_client.post("/auth/refresh", {"refresh": theirs["refresh"]}, format="json").status_code == 200


def test_logout_requires_authentication(api_client):
    response = api_client.post("/auth/logout", {}, format="json")

    assert response.status_code == 401
    assert response.json()["detail"] == "로그인이 필요합니다."


# --- me -----------------------------------------------------------------------------------------


def test_me_requires_token_and_rejects_tampered_one(api_client, user):
    assert api_client.get("/auth/me").status_code == 401
    access = login(api_client).json()["access"]
    tampered = access[:-2] + ("AA" if access[-2:] != "AA" else "BB")

    assert bearer(api_client, tampered).get("/auth/me").status_code == 401


def test_me_patch_updates_preferences_and_validates(auth_client, user):
    ok = auth_client.patch("/auth/me", {"favorite_regions": ["홍대"], "usual_party_size": 2}, format="json")
    bad = auth_client.patch("/auth/me", {"usual_party_size": 0}, format="json")

    assert ok.status_code == 200
    user.refresh_from_db()
    assert user.favorite_regions == ["홍대"]
    assert user.usual_party_size == 2
    assert bad.status_code == 400


def test_auth_endpoints_are_throttled_per_ip(api_client, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})

    codes = [login(api_client, username="x", password="y").status_code for _ in range(4)]

    assert codes == [401, 401, 401, 429]
