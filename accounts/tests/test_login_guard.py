"""The brute-force guard under concurrency, and the admin login behind it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from accounts.login_guard import LoginLocked
from accounts.services import InvalidCredentials, user_authenticate
from testing.factories import UserFactory

PASSWORD = "Escape!2026"


@pytest.mark.django_db(transaction=True)
def test_100_parallel_wrong_passwords_let_at_most_the_limit_reach_the_password_check(settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    UserFactory(username="target", email="target@example.com", password=PASSWORD)
    start = threading.Barrier(20)
    # How many attempts reached the password check is what a caller sees: InvalidCredentials comes only
    # from there, LoginLocked only from before it.
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        if index < 20:
            start.wait()  # the first 20 are released at the same moment
        try:
            user_authenticate(username="target", password=f"wrong-{index}", ip="203.0.113.7")
        except InvalidCredentials:
            outcome = "checked"
        except LoginLocked:
            outcome = "locked"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(attempt, range(100)))

    checked = outcomes.count("checked")
    print(f"100 parallel wrong passwords: {checked} reached the password check, {outcomes.count('locked')} locked")
    assert len(outcomes) == 100
    assert 1 <= checked <= settings.LOGIN_FAILURE_LIMIT
    with pytest.raises(LoginLocked):  # the right password too, until the window ends
        user_authenticate(username="target", password=PASSWORD, ip="198.51.100.1")


@pytest.mark.django_db
def test_a_right_password_gives_its_reservation_back(settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.LOGIN_FAILURE_IP_FACTOR = 1
    UserFactory(username="minji", email="minji@example.com", password=PASSWORD)
    for _ in range(5):  # five good logins from one address never lock it
        assert user_authenticate(username="minji", password=PASSWORD, ip="10.0.0.1").username == "minji"
    with pytest.raises(InvalidCredentials):
        user_authenticate(username="minji", password="nope", ip="10.0.0.1")
    assert user_authenticate(username="minji", password=PASSWORD, ip="10.0.0.1")


def _admin_login(client: Client, password: str, ip: str = "192.0.2.10"):
    return client.post("/admin/login/?next=/admin/", {"username": "staff", "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_admin_login_goes_through_the_guard_with_the_same_limits_and_429(settings, staff_user):
    settings.LOGIN_FAILURE_LIMIT = 3
    staff_user.set_password(PASSWORD)
    staff_user.save()
    client = Client()
    for _ in range(3):
        response = _admin_login(client, "wrong-password")
        assert response.status_code == 200  # the admin's own "wrong password" page
        assert "staff" not in client.session.get("_auth_user_id", "")

    locked = _admin_login(client, PASSWORD)  # the right password, refused before it is checked

    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "로그인 시도가 너무 많습니다" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # The same counter as the API's: the API login of that account is locked too.
    api = Client().post("/auth/login", {"username": "staff", "password": PASSWORD}, content_type="application/json")
    assert api.status_code == 429


@pytest.mark.django_db
def test_admin_login_still_admits_staff_and_refuses_members(user, staff_user):
    staff_user.set_password(PASSWORD)
    staff_user.save()
    user.set_password(PASSWORD)
    user.save()

    member = Client()
    refused = member.post("/admin/login/?next=/admin/", {"username": user.username, "password": PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in member.session

    staff = Client()
    admitted = _admin_login(staff, PASSWORD)
    assert admitted.status_code == 302 and admitted["Location"] == "/admin/"
    assert staff.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_admin_login_is_throttled_per_ip(settings, staff_user):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "3/min"},
    }
    settings.LOGIN_FAILURE_LIMIT = 100
    client = Client()
    codes = [_admin_login(client, f"guess-{n}", ip="192.0.2.99").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]
    assert _admin_login(client, "guess", ip="192.0.2.100").status_code == 200  # another address
