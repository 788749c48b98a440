"""Shared fixtures. Tests talk to the real PostgreSQL, Redis and RabbitMQ."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _clean_redis_keys():
    """Every test starts with an empty key space (only the test prefix: dev data is untouched)."""
    cache.delete_pattern("*")
    yield


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db, django_user_model):
    return django_user_model.objects.create_user(username="minji", email="minji@example.com", password="Escape!2026")


@pytest.fixture
def staff_user(db, django_user_model):
    return django_user_model.objects.create_user(
        username="staff", email="staff@example.com", password="Escape!2026", is_staff=True
    )


@pytest.fixture
def auth_client(user) -> APIClient:
    from accounts.tokens import tokens_issue

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=user)['access']}")
    return client


@pytest.fixture(scope="session", autouse=True)
def _search_workers_disconnected(django_db_setup):
    """Search workers keep connections of their own: closed before the test database is dropped."""
    yield
    from rooms.selectors.search import leg_threads

    leg_threads.close()
