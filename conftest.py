"""Shared fixtures. Tests talk to the real PostgreSQL, Redis and RabbitMQ."""

import contextlib
import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


def pytest_configure(config):
    """The test session starts the embedded PostgreSQL when it is down (settings only read where it listens)."""
    if os.environ.get("DATABASE_URL"):
        return
    from django.conf import settings

    from escape_ai import embedded_db
    from escape_ai.settings.paths import EMBEDDED_DB_NAME, PGDATA_DIR

    info = embedded_db.ensure_server(PGDATA_DIR)
    embedded_db.ensure_database(info, EMBEDDED_DB_NAME)
    # Before any connection is made: where the server listens now that it runs.
    settings.DATABASES["default"].update(
        {
            key: value
            for key, value in embedded_db.connection_settings(PGDATA_DIR, EMBEDDED_DB_NAME).items()
            if key in ("HOST", "PORT")
        }
    )


@pytest.fixture(autouse=True)
def _clean_redis_keys():
    """Every test starts with an empty key space (only the test prefix: dev data is untouched)."""
    cache.delete_pattern("*")
    from rooms.selectors.search import catalogue_count_forget

    catalogue_count_forget()  # each test builds a catalogue of its own size
    yield


@pytest.fixture(autouse=True)
def _fresh_catalogue_reads():
    """Per-process memories of the catalogue (the mean rating the chat ranks with) start empty in every test: each
    test builds a catalogue of its own."""
    from rooms.selectors.rooms import catalogue_rating_mean_forget

    catalogue_rating_mean_forget()
    yield


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    from testing.factories import UserFactory

    return UserFactory(username="minji", email="minji@example.com")


@pytest.fixture
def staff_user(db):
    from testing.factories import UserFactory

    return UserFactory(username="staff", email="staff@example.com", is_staff=True)


@pytest.fixture
def auth_client(user) -> APIClient:
    from accounts.tokens import tokens_issue

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=user)['access']}")
    return client


@pytest.fixture(scope="session", autouse=True)
def _test_run_names_released():
    """Each test run has queues and a metrics directory of its own (settings.test): removed when it ends."""
    yield
    import shutil

    from django.conf import settings

    from analytics.queues import dead_letter_queue_name, events_queue_name
    from escape_ai.celery import app

    with contextlib.suppress(Exception), app.connection_for_write() as conn, conn.channel() as channel:
        # A broker that is gone at the end of a run has nothing left to release.
        for name in (settings.CELERY_TASK_DEFAULT_QUEUE, events_queue_name(), dead_letter_queue_name()):
            channel.queue_delete(name)
    shutil.rmtree(settings.PROMETHEUS_MULTIPROC_DIR, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _search_workers_disconnected(django_db_setup):
    """Search workers keep connections of their own: closed before the test database is dropped."""
    yield
    from rooms.selectors.search import leg_threads

    leg_threads.close()
