"""Bounded database connections: a process's pool is the limit, and an exhausted pool answers 503, never 500."""

import threading
from contextlib import contextmanager

import pytest
from django.db import connections
from django.test import Client
from psycopg_pool import PoolTimeout

from analytics.tests.support import metric_value
from testing.factories import small_catalogue_build

pytestmark = pytest.mark.django_db(transaction=True)

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@contextmanager
def every_connection_held(timeout: float = 0.3):
    """Take every connection the pool will give (it grows to max_size against the real PostgreSQL), and make
    a request that asks for one more wait `timeout` seconds instead of the pool's usual timeout."""
    connections["default"].close()  # this thread's own connection goes back first: it is held below too
    pool = connections["default"].pool
    held = []
    original = pool.timeout
    try:
        while True:
            try:
                held.append(pool.getconn(timeout=2.0))
            except PoolTimeout:
                break
        pool.timeout = timeout
        yield held
    finally:
        pool.timeout = original
        for conn in held:
            pool.putconn(conn)


def in_another_thread(function):
    """A request served on a thread of its own, as the server serves each request (so it needs a connection)."""
    result = {}

    def run():
        try:
            result["value"] = function()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return result["value"]


def test_holding_every_pooled_connection_gets_503_with_retry_after_never_500(settings):
    small_catalogue_build()
    pool = connections["default"].pool
    before = metric_value("escape_ai_db_pool_exhausted_total", source="http")

    with every_connection_held() as held:
        api = in_another_thread(lambda: Client().get("/rooms/", HTTP_ACCEPT="application/json"))
        page = in_another_thread(lambda: Client(headers={"Accept": BROWSER_ACCEPT}).get("/rooms/"))
        login = in_another_thread(
            lambda: Client().post("/auth/login", {"username": "x", "password": "y"}, content_type="application/json")
        )

    assert len(held) == pool.max_size == settings.DB_POOL_MAX_SIZE
    for response in (api, page, login):
        assert response.status_code == 503
        assert response["Retry-After"] == str(settings.DB_POOL_RETRY_AFTER_SECONDS)
    assert api.json() == {"detail": "지금 이용자가 많아 요청을 처리하지 못했어요. 잠시 후 다시 시도해 주세요."}
    assert login.json()["detail"] == api.json()["detail"]
    assert page["Content-Type"].startswith("text/html") and "잠시 후 다시 시도해 주세요" in page.content.decode()
    assert metric_value("escape_ai_db_pool_exhausted_total", source="http") - before == 3

    # The connections are back: the same requests are served again.
    again = in_another_thread(lambda: Client().get("/rooms/", HTTP_ACCEPT="application/json"))
    assert again.status_code == 200 and again.json()["count"] == 8


def test_the_pool_is_sized_from_the_threads_that_use_it(settings):
    pool = connections["default"].pool

    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0
    assert pool.max_size == (
        settings.CHAT_WORKER_THREADS + settings.ROOMS_SEARCH_LEG_THREADS + settings.DB_POOL_REQUEST_CONNECTIONS
    )
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT current_setting('max_connections')::int")
        max_connections = cursor.fetchone()[0]
    # The web processes' pools and the reserve for workers fit in the server (embedded_db sizes it so).
    assert max_connections >= 2 * pool.max_size + 40


def test_a_pool_gauge_reports_connections_in_use_after_a_request():
    small_catalogue_build()
    Client().get("/rooms/", HTTP_ACCEPT="application/json")

    assert metric_value("escape_ai_db_pool_connections", state="max") >= connections["default"].pool.max_size
    assert metric_value("escape_ai_db_pool_connections", state="idle") >= 1
