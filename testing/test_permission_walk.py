"""Every URL the project routes, walked as anonymous, as an ordinary user and as another user (and staff).

Each route has a declared policy below; a route without one fails the walk, so a new URL cannot ship without
saying who may use it. Refusals are checked by their status: the API answers 401 (no credentials), 403 (not
staff) or 404 (someone else's object, answered as if it did not exist); pages send a visitor to log in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient
from rest_framework.views import APIView

from accounts.tokens import tokens_issue
from plays.services import party_create, party_join, play_log
from testing.factories import ChatMessageFactory, ChatSessionFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db

PUBLIC, LOGIN, OWNER, STAFF, ADMIN = "public", "login", "owner", "staff", "admin"

# route (as Django spells it) → {method: policy}
POLICY: dict[str, dict[str, str]] = {
    "healthz": {"GET": PUBLIC},
    "api/schema/": {"GET": PUBLIC},
    "api/docs/": {"GET": PUBLIC},
    "metrics": {"GET": PUBLIC},  # restricted by address or basic auth, not by user
    "auth/register": {"POST": PUBLIC},
    "auth/login": {"POST": PUBLIC},
    "auth/refresh": {"POST": PUBLIC},
    "auth/logout": {"POST": LOGIN},
    "auth/me": {"GET": LOGIN, "PATCH": LOGIN},
    "chat/": {"POST": LOGIN},
    "chat/ws-ticket": {"POST": LOGIN},
    "chat/sessions/": {"GET": LOGIN},
    "chat/sessions/<int:session_id>/": {"GET": OWNER},
    "chat/recommendations/<int:message_id>/feedback": {"POST": OWNER},
    "analytics/insights": {"GET": STAFF},
    "analytics/personalized/<int:user_id>": {"GET": OWNER},
    "analytics/trends/monthly": {"GET": LOGIN},
    "analytics/session-quality/<int:user_id>/<int:session_id>": {"GET": OWNER},
    "": {"GET": PUBLIC},
    "signup/": {"GET": PUBLIC},
    "login/": {"GET": PUBLIC},
    "logout/": {"POST": PUBLIC},  # logging out nobody reveals nothing
    "me/": {"GET": LOGIN},
    "rooms/": {"GET": PUBLIC},
    "rooms/<int:room_id>/": {"GET": PUBLIC},
    "rooms/<int:room_id>/review/": {"POST": LOGIN},
    "rooms/<int:room_id>/click": {"POST": OWNER},
    "rooms/search": {"GET": PUBLIC},
    "rooms/search/": {"GET": PUBLIC},  # 308 to rooms/search
    "rooms/<int:room_id>/reviews": {"GET": PUBLIC, "POST": LOGIN},
    "rooms/<int:room_id>/reviews/": {"GET": PUBLIC, "POST": PUBLIC},  # 308 to rooms/<id>/reviews
    "rooms/<int:room_id>/slots": {"GET": PUBLIC},
    "rooms/<int:room_id>/slots/": {"GET": PUBLIC},  # 308 to rooms/<id>/slots
    "staff/insights/": {"GET": STAFF},
    # The play log and parties (API, then pages). Someone else's play or party is a 404.
    "me/plays": {"GET": LOGIN, "POST": LOGIN},
    "me/plays/stats": {"GET": LOGIN},
    "me/plays/import": {"POST": LOGIN},
    "me/plays/<int:play_id>": {"GET": OWNER, "PATCH": OWNER, "DELETE": OWNER},
    "parties": {"GET": LOGIN, "POST": LOGIN},
    "parties/join": {"POST": LOGIN},
    "parties/<int:party_id>": {"GET": OWNER},
    "parties/<int:party_id>/leave": {"POST": OWNER},
    "parties/<int:party_id>/members/<int:user_id>": {"DELETE": OWNER},
    "parties/<int:party_id>/recommendations": {"GET": OWNER},
    "me/plays/": {"GET": LOGIN},
    "me/plays/import/": {"POST": LOGIN},
    "me/plays/<int:play_id>/edit/": {"POST": OWNER},
    "me/plays/<int:play_id>/delete/": {"POST": OWNER},
    "me/parties/": {"GET": LOGIN},
    "me/parties/new/": {"POST": LOGIN},
    "me/parties/join/": {"POST": LOGIN},
    "me/parties/<int:party_id>/": {"GET": OWNER},
    "me/parties/<int:party_id>/leave/": {"POST": OWNER},
    "me/parties/<int:party_id>/members/<int:user_id>/remove/": {"POST": OWNER},
    "rooms/<int:room_id>/played/": {"POST": LOGIN},
    "admin/login/": {"GET": PUBLIC},
    "admin/logout/": {"POST": PUBLIC},
}


def _policy(route: str) -> dict[str, str]:
    if route in POLICY:
        return POLICY[route]
    if route.startswith("admin/"):
        return {"GET": ADMIN}  # Django admin: staff only, everyone else is sent to its login
    raise AssertionError(f"no permission policy for the route {route!r}: add it to POLICY")


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def _concrete(route: str, values: dict[str, object]) -> str:
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), path)
    return "/" + path.replace("^", "").replace("$", "")


@dataclass
class World:
    owner: object
    other: object
    staff: object
    values: dict[str, object]
    bodies: dict[str, dict]
    # Path values of routes that use up their object (deleting a play, leaving a party): one object each.
    route_values: dict[str, dict[str, object]]


@pytest.fixture
def world() -> World:
    owner = UserFactory(username="owner")
    other = UserFactory(username="other")
    staff = UserFactory(username="staffer", is_staff=True, is_superuser=True)
    room = RoomFactory()
    session = ChatSessionFactory(user=owner)
    ChatMessageFactory(session=session, role="user", text="강남 공포")
    message = ChatMessageFactory(session=session, role="assistant", text="추천", recommended_room_ids=[room.id])
    friend = UserFactory(username="friend")
    plays = [play_log(user=owner, room=RoomFactory(), played_on=date(2025, 1, 1), escaped=True)[0] for _ in range(3)]
    parties = []
    for n in range(5):  # the owner's, each with a friend in it
        party = party_create(user=owner, name=f"파티 {n}")
        party_join(user=friend, invite_code=party.invite_code)
        parties.append(party)
    values = {
        "user_id": owner.id,
        "session_id": session.id,
        "message_id": message.id,
        "room_id": room.id,
        "object_id": owner.id,
        "id": owner.id,
        "app_label": "rooms",
        "content_type_id": ContentType.objects.get_for_model(type(owner)).id,
        "url": "nowhere/",
        "play_id": plays[0].id,
        "party_id": parties[0].id,
    }
    route_values = {
        "me/plays/<int:play_id>/edit/": {"play_id": plays[1].id},
        "me/plays/<int:play_id>/delete/": {"play_id": plays[2].id},
        "parties/<int:party_id>/leave": {"party_id": parties[1].id},
        "parties/<int:party_id>/members/<int:user_id>": {"party_id": parties[2].id, "user_id": friend.id},
        "me/parties/<int:party_id>/leave/": {"party_id": parties[3].id},
        "me/parties/<int:party_id>/members/<int:user_id>/remove/": {"party_id": parties[4].id, "user_id": friend.id},
    }
    bodies = {
        "chat/recommendations/<int:message_id>/feedback": {"room_id": room.id, "kind": "liked"},
        "rooms/<int:room_id>/click": {"message_id": str(message.id)},
    }
    return World(owner=owner, other=other, staff=staff, values=values, bodies=bodies, route_values=route_values)


def _client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)  # pages: the session
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_issue(user=user)['access']}")  # API: a JWT
    return client


def _request(user, method: str, path: str, body: dict | None, *, api: bool):
    client = _client(user)
    if api:
        return getattr(client, method.lower())(path, body or {}, format="json", HTTP_ACCEPT="application/json")
    if method == "GET":
        return client.get(path, HTTP_ACCEPT="text/html")
    return client.post(path, body or {}, HTTP_ACCEPT="text/html")


def _is_api(callback) -> bool:
    return (isinstance(getattr(callback, "cls", None), type) and issubclass(callback.cls, APIView)) or hasattr(
        callback, "api_view"
    )


def _sent_to_login(response) -> bool:
    location = response.headers.get("Location", "")
    return response.status_code == 302 and ("/login/" in location)


def _refused(response, *, api: bool, expected: tuple[int, ...]) -> bool:
    if api:
        return response.status_code in expected
    return response.status_code in (*expected, 403) or _sent_to_login(response)


def _allowed(response) -> bool:
    return response.status_code not in (401, 403, 404) and not _sent_to_login(response)


def test_every_route_refuses_whom_it_must(world):
    routes = list(_walk(get_resolver().url_patterns))
    assert len(routes) > 30
    problems = []
    for route, callback in routes:
        api = _is_api(callback)
        path = _concrete(route, {**world.values, **world.route_values.get(route, {})})
        for method, policy in _policy(route).items():
            body = world.bodies.get(route)
            seen = {
                who: _request(user, method, path, body, api=api)
                for who, user in (("anonymous", None), ("owner", world.owner), ("other", world.other))
            }
            if policy in (LOGIN, OWNER, STAFF, ADMIN) and not _refused(seen["anonymous"], api=api, expected=(401,)):
                problems.append(f"{method} {path}: anonymous got {seen['anonymous'].status_code}")
            if policy in (STAFF, ADMIN) and not _refused(seen["owner"], api=api, expected=(403,)):
                problems.append(f"{method} {path}: an ordinary user got {seen['owner'].status_code}")
            if policy == OWNER and not _refused(seen["other"], api=api, expected=(404,)):
                problems.append(f"{method} {path}: another user got {seen['other'].status_code}")
            if policy in (PUBLIC, LOGIN, OWNER) and not _allowed(seen["owner"]):
                problems.append(f"{method} {path}: the owner was refused with {seen['owner'].status_code}")
            if policy == PUBLIC and not _allowed(seen["anonymous"]):
                problems.append(f"{method} {path}: anonymous was refused with {seen['anonymous'].status_code}")
            if policy in (STAFF, OWNER):
                staff = _request(world.staff, method, path, body, api=api)
                if policy == STAFF and not _allowed(staff):
                    problems.append(f"{method} {path}: staff was refused with {staff.status_code}")
    assert problems == []


def test_every_api_view_states_its_permissions():
    """No API view falls back to the default permission silently: each says who may use it."""
    missing = []
    for route, callback in _walk(get_resolver().url_patterns):
        cls = getattr(callback, "cls", None)
        if not (isinstance(cls, type) and issubclass(cls, APIView)) or route.startswith("api/"):
            continue
        own = [
            klass
            for klass in cls.__mro__
            if klass is not APIView
            and issubclass(klass, APIView)
            and ("permission_classes" in vars(klass) or "get_permissions" in vars(klass))
        ]
        if not own:
            missing.append(f"{route}: {cls.__name__}")
    assert missing == []
