"""Every API view is throttled by default (anon by address, user by id); scoped views add their scope."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from testing.factories import ChatSessionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _api_views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            cls = getattr(pattern.callback, "cls", None)
            if isinstance(cls, type) and issubclass(cls, APIView) and not prefix.startswith("api/"):
                yield prefix + str(pattern.pattern), cls


def test_every_api_view_has_the_default_throttles():
    views = list(_api_views(get_resolver().url_patterns))
    assert len(views) >= 15
    unthrottled = [
        route
        for route, cls in views
        if not {AnonRateThrottle, UserRateThrottle} <= {type(throttle) for throttle in cls().get_throttles()}
    ]
    assert unthrottled == []


@pytest.fixture
def tight_rates(monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {**UserRateThrottle.THROTTLE_RATES, "user": "2/min"})
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {**AnonRateThrottle.THROTTLE_RATES, "anon": "2/min"})


@pytest.mark.parametrize(
    "path",
    [
        "/auth/me",
        "/chat/sessions/",
        "/chat/sessions/{session}/",
        "/analytics/personalized/{user}",
        "/analytics/trends/monthly?kind=genre",
        "/analytics/session-quality/{user}/{session}",
        "/analytics/insights",
    ],
)
def test_a_signed_in_user_past_the_rate_gets_429_in_korean_with_retry_after(api_client, tight_rates, path):
    staff = UserFactory(is_staff=True)
    session = ChatSessionFactory(user=staff)
    api_client.force_authenticate(staff)
    url = path.format(user=staff.id, session=session.id)

    codes = [api_client.get(url).status_code for _ in range(2)]
    throttled = api_client.get(url)

    assert codes == [200, 200]
    assert throttled.status_code == 429
    assert throttled.json()["detail"].startswith("요청이 너무 많습니다.")
    assert 1 <= int(throttled["Retry-After"]) <= 60


def test_an_anonymous_client_past_the_rate_gets_429(api_client, tight_rates):
    codes = [api_client.get("/rooms/", HTTP_ACCEPT="application/json").status_code for _ in range(3)]
    refused = api_client.post("/auth/login", {"username": "x", "password": "y"}, format="json")

    assert codes == [200, 200, 429]
    assert refused.status_code == 429 and "Retry-After" in refused
