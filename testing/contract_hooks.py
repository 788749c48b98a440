"""schemathesis hooks for the API contract test (testing/test_api_contract.py loads them with `hooks = ...`).

A JSON Schema states each value on its own. A few rules relate values to each other or to today, so the schema
states them in words (descriptions) and the server answers 400 when they are broken. Schema-valid (positive)
cases are made to follow those rules here, nothing else: negative cases are left as generated.

- `difficulty_min` ≤ `difficulty_max` (rooms list, search);
- insights: `from` ≤ `to`, at most ANALYTICS_INSIGHTS_MAX_DAYS days;
- a review's or a play's `played_on` is not after today (Asia/Seoul);
- a play is of a room that exists, and an imported CSV names rooms that exist (CONTRACT_ROOMS lists them);
- a time window (`available_from`/`available_to`, a room's slots' `from`/`to`): real dates, the end after the
  start, within ROOMS_SLOT_WINDOW_MAX_DAYS (60) days;
- a new password is strong (Django's validators: not common, not like the username): format `password`.
"""

from __future__ import annotations

import hashlib
import json
import os
import string
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode

SEOUL = ZoneInfo("Asia/Seoul")
INSIGHTS_MAX_DAYS = int(os.environ.get("ANALYTICS_INSIGHTS_MAX_DAYS", "366"))
ROOMS = json.loads(os.environ.get("CONTRACT_ROOMS", "[]"))

# Random passwords of 16+ characters from a wide alphabet are never common nor close to a username.
schemathesis.openapi.format(
    "password", st.text(alphabet=string.ascii_letters + string.digits + "!#%&*+-=?@^_~", min_size=16, max_size=64)
)


def _today() -> date:
    return datetime.now(SEOUL).date()


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def _integer(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def _difficulty_in_order(query: dict) -> None:
    low, high = _integer(query.get("difficulty_min")), _integer(query.get("difficulty_max"))
    if low is not None and high is not None and low > high:
        query["difficulty_min"], query["difficulty_max"] = query["difficulty_max"], query["difficulty_min"]


def _insights_range(query: dict) -> None:
    day_from, day_to = _date(query.get("from")), _date(query.get("to"))
    if ("from" in query and day_from is None) or ("to" in query and day_to is None):
        return  # not a date: nothing to order
    if day_to is None:
        day_to = max(_today(), day_from) if day_from else _today()
        if day_from is not None:
            query["to"] = day_to.isoformat()
    if day_from is None:
        return  # the server's default start is inside the range
    if day_from > day_to:
        day_from, day_to = day_to, day_from
    if (day_to - day_from).days + 1 > INSIGHTS_MAX_DAYS:
        day_from = day_to - timedelta(days=INSIGHTS_MAX_DAYS - 1)
    query["from"], query["to"] = day_from.isoformat(), day_to.isoformat()


def _window_value(drawn: str) -> str:
    """A real date or date-time (as the drawn one was) within the next 57 days, following from the drawn text."""
    seed = int(hashlib.sha256(drawn.encode("utf-8", "surrogatepass")).hexdigest(), 16)
    day = (_today() + timedelta(days=1 + seed % 56)).isoformat()
    return day if len(drawn) <= 10 else f"{day}T{seed // 56 % 24:02d}:{seed // 1344 % 6 * 10:02d}"


def _window_bound(value: str, *, end: bool) -> datetime:
    if len(value) <= 10:
        return datetime.combine(date.fromisoformat(value) + timedelta(days=1 if end else 0), datetime.min.time(), SEOUL)
    return datetime.fromisoformat(value).replace(tzinfo=SEOUL)


def _window_in_range(query: dict, from_key: str, to_key: str) -> None:
    for key in (from_key, to_key):
        if isinstance(query.get(key), str) and query[key]:
            query[key] = _window_value(query[key])
    start, end = query.get(from_key), query.get(to_key)
    if not (isinstance(start, str) and start and isinstance(end, str) and end):
        return
    if _window_bound(end, end=True) <= _window_bound(start, end=False):
        query[from_key], query[to_key] = end, start
    if _window_bound(query[to_key], end=True) <= _window_bound(query[from_key], end=False):
        query[to_key] = (_window_bound(query[from_key], end=False).date() + timedelta(days=1)).isoformat()


def _played_on_not_future(body: dict) -> None:
    played_on = _date(body.get("played_on"))
    if played_on is not None and played_on > _today() - timedelta(days=1):
        body["played_on"] = (_today() - timedelta(days=1)).isoformat()


def _existing_room(body: dict) -> None:
    """A drawn room id becomes one of the rooms that exist (which one follows from the drawn value)."""
    room_id = _integer(body.get("room_id"))
    if ROOMS and room_id is not None:
        body["room_id"] = ROOMS[room_id % len(ROOMS)]["id"]


def _csv_of_rooms(body: dict) -> None:
    """A drawn CSV becomes lines naming rooms that exist (how many and which follow from the drawn text); its
    length stays within the schema's."""
    text = body.get("csv")
    if not ROOMS or not isinstance(text, str):
        return
    seed = int(hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), 16)
    day = (_today() - timedelta(days=1 + seed % 300)).isoformat()
    lines = []
    for n in range(1 + seed % 3):
        room = ROOMS[(seed >> (4 * n)) % len(ROOMS)]
        lines.append(f"{room['name']},{room['store']},{day},{'성공' if (seed >> n) % 2 else '실패'},{n}")
    body["csv"] = "\n".join(lines)


def _strong_password(body: dict) -> None:
    """A password as long as the drawn one but strong: edges of its length stay tested, weak ones do not reach
    Django's validators (common passwords, all digits, close to the username)."""
    password = body.get("password")
    if isinstance(password, str) and len(password) >= 8:
        seed = hashlib.sha256(password.encode("utf-8", "surrogatepass")).hexdigest()
        strong = "".join(ch.upper() if i % 3 == 0 else ch for i, ch in enumerate(seed)) + "!Zq"
        body["password"] = (strong * (len(password) // len(strong) + 1))[: len(password) - 3] + "#Q7"


@schemathesis.hook
def map_case(context, case):
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return case
    path, method = case.operation.path, case.method.upper()
    if isinstance(case.query, dict):
        if path in ("/rooms/", "/rooms/search"):
            _difficulty_in_order(case.query)
            _window_in_range(case.query, "available_from", "available_to")
        elif path == "/rooms/{room_id}/slots":
            _window_in_range(case.query, "from", "to")
        elif path == "/parties/{party_id}/recommendations":
            _window_in_range(case.query, "available_from", "available_to")
        elif path == "/analytics/insights":
            _insights_range(case.query)
    if path == "/rooms/{room_id}/reviews" and method == "POST" and isinstance(case.body, dict):
        _played_on_not_future(case.body)
    if path in ("/me/plays", "/me/plays/{play_id}") and method in ("POST", "PATCH") and isinstance(case.body, dict):
        _played_on_not_future(case.body)
        _existing_room(case.body)
    if path == "/me/plays/import" and isinstance(case.body, dict):
        _csv_of_rooms(case.body)
    if path == "/chat/" and method == "POST" and isinstance(case.body, dict):
        _window_in_range(case.body, "available_from", "available_to")
    if path == "/auth/register" and isinstance(case.body, dict):
        _strong_password(case.body)
    return case
