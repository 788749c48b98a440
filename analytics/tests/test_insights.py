"""Insights against a small hand-computed fixture (every expected number is worked out in comments)."""

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.ingest import rollups_rebuild
from analytics.schema import event_document
from analytics.services import event_record, event_store, events_flush
from testing.factories import UserFactory

pytestmark = pytest.mark.django_db
KST = ZoneInfo("Asia/Seoul")


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=KST)


@pytest.fixture
def people():
    return [
        UserFactory(username=name, email=f"{name}@example.com", password="x") for name in ("a_user", "b_user", "c_user")
    ]


@pytest.fixture
def fixture_events(people, django_capture_on_commit_callbacks):
    a, b, c = (user.id for user in people)

    def chat(day, session, user, *, ran_search, provider, model, tokens_in, tokens_out, cost, fallback=False, hour=12):
        event_record(
            type="chat.message",
            user_id=user,
            chat_session_id=session,
            occurred_at=at(day, hour),
            payload={
                "message_id": None,
                "intent": "recommend",
                "ran_search": ran_search,
                "provider": provider,
                "model": model,
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
                "cost_usd": cost,
                "fallback": fallback,
            },
        )

    with django_capture_on_commit_callbacks(execute=True):
        # Day 1. Searches: 강남 [공포, 추리], 홍대 [추리], 강남 [] (the first at 00:30 KST, 15:30 UTC the day before).
        event_record(
            type="search.performed",
            user_id=a,
            occurred_at=at(1, 0, 30),
            payload={"query": "강남 공포", "region": "강남", "genres": ["공포", "추리"]},
        )
        event_record(
            type="search.performed",
            user_id=b,
            occurred_at=at(1),
            payload={"query": "홍대 추리", "region": "홍대", "genres": ["추리"]},
        )
        event_record(type="search.performed", user_id=a, occurred_at=at(1), payload={"region": "강남", "genres": []})
        event_record(
            type="recommendation.shown",
            user_id=a,
            chat_session_id=1,
            occurred_at=at(1),
            payload={"room_ids": [5, 6], "region": "강남", "genres": ["공포"], "message_id": 101},
        )
        event_record(
            type="recommendation.shown",
            user_id=b,
            chat_session_id=2,
            occurred_at=at(1),
            payload={"room_ids": [7], "region": "홍대", "genres": ["추리"], "message_id": 102},
        )
        # Clicks take region/genres from their recommendation (101: 강남 [공포]); a dislike is no success.
        event_record(
            type="recommendation.clicked",
            user_id=a,
            chat_session_id=1,
            occurred_at=at(1),
            payload={"room_id": 5, "message_id": 101, "feedback": "clicked"},
        )
        event_record(
            type="recommendation.clicked",
            user_id=a,
            chat_session_id=1,
            occurred_at=at(1),
            payload={"room_id": 5, "message_id": 101, "feedback": "liked"},
        )
        event_record(
            type="recommendation.clicked",
            user_id=b,
            chat_session_id=2,
            occurred_at=at(1),
            payload={"room_id": 7, "message_id": 102, "feedback": "disliked"},
        )
        chat(1, 1, a, ran_search=True, provider="openai", model="gpt-4o-mini", tokens_in=100, tokens_out=50, cost=0.001)
        chat(
            1, 1, a, ran_search=False, provider="openai", model="gpt-4o-mini", tokens_in=80, tokens_out=40, cost=0.0008
        )
        chat(
            1,
            2,
            b,
            ran_search=True,
            provider="local",
            model="offline",
            tokens_in=0,
            tokens_out=0,
            cost=0,
            fallback=True,
        )
        event_record(
            type="review.created",
            user_id=c,
            occurred_at=at(1),
            payload={"room_id": 5, "rating": 5, "region": "강남", "genres": ["공포"]},
        )
        # Day 2. The click names its own region (잠실); its genres come from recommendation 103.
        chat(
            2, 3, c, ran_search=True, provider="openai", model="gpt-4o-mini", tokens_in=200, tokens_out=100, cost=0.002
        )
        event_record(
            type="search.performed", user_id=c, occurred_at=at(2), payload={"region": "강남", "genres": ["공포"]}
        )
        event_record(
            type="recommendation.shown",
            user_id=c,
            chat_session_id=3,
            occurred_at=at(2),
            payload={"room_ids": [9], "region": "강남", "genres": ["공포", "스릴러"], "message_id": 103},
        )
        event_record(
            type="recommendation.clicked",
            user_id=c,
            chat_session_id=3,
            occurred_at=at(2),
            payload={"room_id": 9, "message_id": 103, "feedback": "clicked", "region": "잠실"},
        )
        # Day 4 is outside the range asked for.
        chat(4, 9, c, ran_search=True, provider="openai", model="gpt-4o-mini", tokens_in=999, tokens_out=999, cost=1)
    events_flush()
    # Critical events take the worker's path (event_store), here in-process.
    for error_type, day in (("TimeoutError", 1), ("TimeoutError", 2), ("ValueError", 3)):
        document = event_document(
            type="error", event_id=uuid.uuid4(), user_id=None, chat_session_id=None,
            payload={"error_type": error_type, "source": "chat"}, occurred_at=at(day), max_payload_bytes=16384,
        )  # fmt: skip
        assert event_store(document=document) is True


EXPECTED = {
    "from": "2026-11-01",
    "to": "2026-11-03",
    "days": 3,
    "events_by_type": {
        "chat.message": 4,
        "error": 3,
        "recommendation.clicked": 4,
        "recommendation.shown": 3,
        "review.created": 1,
        "search.performed": 4,
    },
    # 강남: searches 3, shown 2 (101, 103), clicks 2 (101 clicked + liked; 103's click is 잠실), reviews 1.
    "popular_regions": [
        {"region": "강남", "searches": 3, "recommendations_shown": 2, "clicks": 2, "reviews": 1, "total": 8},
        {"region": "홍대", "searches": 1, "recommendations_shown": 1, "clicks": 0, "reviews": 0, "total": 2},
        {"region": "잠실", "searches": 0, "recommendations_shown": 0, "clicks": 1, "reviews": 0, "total": 1},
    ],
    # 공포: searches 2, shown 2, clicks 3 (101 ×2, 103 ×1), reviews 1. 추리: searches 2, shown 1.
    "popular_genres": [
        {"genre": "공포", "searches": 2, "recommendations_shown": 2, "clicks": 3, "reviews": 1, "total": 8},
        {"genre": "추리", "searches": 2, "recommendations_shown": 1, "clicks": 0, "reviews": 0, "total": 3},
        {"genre": "스릴러", "searches": 0, "recommendations_shown": 1, "clicks": 1, "reviews": 0, "total": 2},
    ],
    "chats_per_day": [
        {"date": "2026-11-01", "messages": 3, "sessions": 2, "active_users": 3},
        {"date": "2026-11-02", "messages": 1, "sessions": 1, "active_users": 1},
        {"date": "2026-11-03", "messages": 0, "sessions": 0, "active_users": 0},
    ],
    "chat_messages": 4,
    "chat_sessions": 3,
    "active_users": 3,
    "rag_usage": {"rate": 0.75, "messages_with_search": 3, "messages": 4},
    # Successful recommendations: 101 and 103 (distinct), of 3 shown.
    "recommendation_success": {
        "rate": 0.6667,
        "successful_recommendations": 2,
        "shown": 3,
        "feedback": {"clicked": 2, "disliked": 1, "liked": 1},
    },
    "llm_usage": [
        {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "calls": 3,
            "input_tokens": 380,
            "output_tokens": 190,
            "cost_usd": 0.0038,
            "fallbacks": 0,
        },
        {
            "provider": "local",
            "model": "offline",
            "calls": 1,
            "input_tokens": 0,
            "output_tokens": 0,
            "cost_usd": 0.0,
            "fallbacks": 1,
        },
    ],
    "errors_by_type": [{"error_type": "TimeoutError", "count": 2}, {"error_type": "ValueError", "count": 1}],
}


def test_insights_match_the_hand_computed_numbers(fixture_events, staff_user, api_client):
    api_client.force_authenticate(staff_user)

    response = api_client.get("/analytics/insights", {"from": "2026-11-01", "to": "2026-11-03"})

    assert response.status_code == 200
    assert response.json() == EXPECTED


def test_insights_read_only_the_rollups_and_a_rebuild_gives_the_same_numbers(fixture_events, staff_user, api_client):
    api_client.force_authenticate(staff_user)
    with CaptureQueriesContext(connection) as queries:
        api_client.get("/analytics/insights", {"from": "2026-11-01", "to": "2026-11-03"})
    insight_sql = [q["sql"] for q in queries.captured_queries if "analytics_" in q["sql"]]
    assert insight_sql and not any("analytics_event " in sql or "analytics_event\n" in sql for sql in insight_sql)

    rollups_rebuild()

    assert api_client.get("/analytics/insights", {"from": "2026-11-01", "to": "2026-11-03"}).json() == EXPECTED


def test_a_single_day_counts_only_that_day(fixture_events, staff_user, api_client):
    api_client.force_authenticate(staff_user)

    body = api_client.get("/analytics/insights", {"from": "2026-11-02", "to": "2026-11-02"}).json()

    assert body["chat_messages"] == 1 and body["active_users"] == 1
    assert body["errors_by_type"] == [{"error_type": "TimeoutError", "count": 1}]
    assert body["recommendation_success"]["rate"] == 1.0


def test_insights_are_for_staff_only(api_client, auth_client):
    anonymous = api_client.get("/analytics/insights")
    assert anonymous.status_code == 401
    forbidden = auth_client.get("/analytics/insights")
    assert forbidden.status_code == 403
    assert forbidden.json()["detail"] == "관리자만 볼 수 있습니다."


def test_default_range_is_the_last_thirty_days(staff_user, api_client):
    api_client.force_authenticate(staff_user)

    body = api_client.get("/analytics/insights").json()

    assert body["days"] == 30 and len(body["chats_per_day"]) == 30
    assert body["rag_usage"]["rate"] is None and body["popular_regions"] == []


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "2026-13-01"}, "from", "날짜 형식이 올바르지 않습니다"),
        ({"to": "어제"}, "to", "날짜 형식이 올바르지 않습니다"),
        ({"from": "2026-11-05", "to": "2026-11-01"}, "from", "시작일(from)이 종료일(to)보다 늦을 수 없습니다"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "to", "조회 기간은 최대 366일입니다"),
    ],
)
def test_invalid_dates_are_a_400_in_korean(staff_user, api_client, params, field, message):
    api_client.force_authenticate(staff_user)

    response = api_client.get("/analytics/insights", params)

    assert response.status_code == 400
    assert message in response.json()["errors"][field][0]
    assert message in response.json()["detail"]


def test_rollups_rebuild_command_checks_its_dates_and_rebuilds_a_range(fixture_events, staff_user, api_client):
    from django.core.management import CommandError, call_command

    from analytics.models import EventRollup

    with pytest.raises(CommandError, match="날짜 형식"):
        call_command("analytics_rollups_rebuild", "--from", "2026-11-xx", "--to", "2026-11-03")
    EventRollup.objects.filter(day="2026-11-02").delete()  # say a rollup definition changed

    call_command("analytics_rollups_rebuild", "--from", "2026-11-02", "--to", "2026-11-02")

    api_client.force_authenticate(staff_user)
    assert api_client.get("/analytics/insights", {"from": "2026-11-01", "to": "2026-11-03"}).json() == EXPECTED


@pytest.mark.parametrize(
    ("day_from", "day_to", "expected"),
    [
        # No whole month: the day rows cover everything.
        ("2026-11-01", "2026-11-03", ("2026-11-01", "2026-11-01", "2026-11-03", "2026-11-03")),
        # October 15 .. December 5: November whole, days before and after.
        ("2026-10-15", "2026-12-05", ("2026-11-01", "2026-12-01", "2026-10-31", "2026-12-01")),
        # Exactly whole months: no edge days (empty BETWEENs).
        ("2026-10-01", "2026-11-30", ("2026-10-01", "2026-12-01", "2026-09-30", "2026-12-01")),
    ],
)
def test_month_split_for_distinct_users(day_from, day_to, expected):
    from datetime import date

    from analytics.selectors import _month_split

    split = _month_split(date.fromisoformat(day_from), date.fromisoformat(day_to))

    assert tuple(split[k].isoformat() for k in ("month_from", "month_to", "head_to", "tail_from")) == expected


@pytest.mark.parametrize(
    ("day_from", "day_to", "active_users"),
    [
        ("2026-10-15", "2026-12-05", 3),  # November from its month rows: a, b and c, each once
        ("2026-11-01", "2026-11-30", 3),
        ("2026-11-02", "2026-11-30", 1),  # only c (days 2 and 4)
        ("2026-11-04", "2026-12-31", 1),
    ],
)
def test_active_users_are_distinct_across_months_and_edge_days(
    fixture_events, staff_user, api_client, day_from, day_to, active_users
):
    api_client.force_authenticate(staff_user)

    body = api_client.get("/analytics/insights", {"from": day_from, "to": day_to}).json()

    assert body["active_users"] == active_users
