"""The staff insights page: numbers from the rollups become chart specs and KPI tiles."""

import json
import uuid

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from analytics.ingest import events_insert
from analytics.schema import event_document

pytestmark = pytest.mark.django_db


def store_events(
    type_: str,
    payloads: list[dict],
    user_id: int | None = None,
    chat_session_id: int | None = None,
    occurred_at=None,
):
    documents = [
        event_document(
            type=type_,
            event_id=uuid.uuid4(),
            user_id=user_id,
            chat_session_id=chat_session_id,
            payload=payload,
            occurred_at=occurred_at or timezone.now(),
            max_payload_bytes=settings.ANALYTICS_MAX_PAYLOAD_BYTES,
        )
        for payload in payloads
    ]
    return events_insert(documents=documents)


def charts_of(response) -> dict[str, dict]:
    html = response.content.decode()
    start = html.index('<script id="insight-charts" type="application/json">') + len(
        '<script id="insight-charts" type="application/json">'
    )
    specs = json.loads(html[start : html.index("</script>", start)])
    return {spec["id"]: spec for spec in specs}


def points(spec) -> dict[str, float]:
    return {point["label"]: point["value"] for point in spec["series"][0]["points"]}


def test_insights_page_turns_rollups_into_charts(staff_user):
    store_events(
        "search.performed",
        [{"query": "강남 공포", "region": "강남", "genres": ["공포"], "players": 4, "result_count": 3}] * 3
        + [{"query": "홍대 추리", "region": "홍대", "genres": ["추리"], "result_count": 2}],
    )
    store_events(
        "chat.message",
        [
            {"message_id": 1, "intent": "recommend", "ran_search": True, "provider": "local", "model": "templates"},
            {
                "message_id": 2,
                "intent": "recommend",
                "ran_search": True,
                "provider": "openai",
                "model": "gpt-4o-mini",
                "input_tokens": 900,
                "output_tokens": 200,
                "cost_usd": 0.0025,
            },
        ],
        user_id=staff_user.id,
        chat_session_id=7,
    )
    store_events("recommendation.shown", [{"room_ids": [1, 2], "region": "강남", "genres": ["공포"], "message_id": 1}])
    client = Client()
    client.force_login(staff_user)

    response = client.get("/staff/insights/")

    assert response.status_code == 200
    charts = charts_of(response)
    assert set(charts) == {"regions", "genres", "chats", "success", "plays", "cost-per-success", "llm-cost"}
    regions = points(charts["regions"])
    assert list(regions)[:2] == ["강남", "홍대"]
    assert regions["강남"] > regions["홍대"]
    assert points(charts["genres"])["공포"] >= 3
    today = timezone.localdate()
    chats = {p["label"]: p["value"] for p in charts["chats"]["series"][0]["points"]}
    assert chats[f"{today.month}.{today.day}"] == 2
    assert len(chats) == 30
    assert points(charts["success"])["노출"] == 1
    assert points(charts["llm-cost"])["openai/gpt-4o-mini"] == pytest.approx(0.0025)
    html = response.content.decode()
    assert "대화 메시지" in html
    assert "$0.0025" in html


def test_insights_show_plays_per_month_and_recommendations_later_played(staff_user):
    from datetime import timedelta

    now = timezone.now()
    store_events(
        "recommendation.shown",
        [{"room_ids": [1, 2, 3, 4]}],
        user_id=staff_user.id,
        occurred_at=now - timedelta(hours=5),
    )
    store_events(
        "play.logged", [{"room_id": 2}, {"room_id": 3}], user_id=staff_user.id, occurred_at=now - timedelta(hours=1)
    )
    client = Client()
    client.force_login(staff_user)

    response = client.get("/staff/insights/")

    plays = charts_of(response)["plays"]
    assert plays["kind"] == "bar" and len(plays["series"][0]["points"]) == 12
    assert plays["series"][0]["points"][-1]["value"] == 2  # this month's
    assert "추천된 테마 4개 중 2개를 나중에 플레이" in plays["note"]
    kpis = {kpi["label"]: kpi["value"] for kpi in response.context["kpis"]}
    assert kpis["추천 → 플레이"] == "50.0%"


def test_insights_period_is_one_of_the_offered_ones(staff_user):
    client = Client()
    client.force_login(staff_user)

    response = client.get("/staff/insights/", {"days": "7"})
    assert len(charts_of(response)["chats"]["series"][0]["points"]) == 7

    response = client.get("/staff/insights/", {"days": "100000"})
    assert response.context["days"] == 30


def test_insights_draw_monthly_demand_with_forecast(staff_user):
    from datetime import datetime

    today = timezone.localdate()
    for months_ago, count in ((3, 2), (2, 4), (1, 6)):
        # The middle of each of the last three complete months (local time), whatever today's date is.
        index = today.year * 12 + today.month - 1 - months_ago
        moment = datetime(index // 12, index % 12 + 1, 15, 12, tzinfo=timezone.get_current_timezone())
        store_events(
            "search.performed", [{"query": "q", "region": "강남", "genres": ["공포"]}] * count, occurred_at=moment
        )
        store_events("search.performed", [{"query": "q", "region": "홍대", "genres": ["추리"]}], occurred_at=moment)
    client = Client()
    client.force_login(staff_user)

    charts = charts_of(client.get("/staff/insights/"))

    genre = charts["trend-genre"]
    assert genre["kind"] == "line"
    names = [series["name"] for series in genre["series"]]
    assert names[:2] == ["공포", "공포 예측"]
    history, forecast = genre["series"][0], genre["series"][1]
    assert [point["value"] for point in history["points"]][-3:] == [2, 4, 6]
    assert forecast["dashed"] is True
    assert forecast["color"] == history["color"]
    # The forecast line starts at the last real month and runs three months on.
    assert forecast["points"][0] == history["points"][-1]
    assert len(forecast["points"]) == 4
    assert "trend-region" in charts


def test_insights_draw_the_llm_cost_per_successful_recommendation(staff_user):
    from datetime import timedelta

    from testing.factories import UserFactory

    now = timezone.now()
    today = timezone.localdate()
    user = UserFactory()
    gpt = {"provider": "openai", "model": "gpt-4o-mini"}
    local = {"provider": "local", "model": "local-templates"}
    # Today: gpt costs $0.006 over two turns and recommends rooms 1-3; one is booked and one played (2
    # successes: $0.003 each). The offline provider recommends room 4 at no cost, with no success (—).
    store_events("chat.message", [{**gpt, "cost_usd": 0.004}, {**gpt, "cost_usd": 0.002}, {**local, "cost_usd": 0.0}])
    store_events(
        "recommendation.shown",
        [{"room_ids": [1, 2, 3], "message_id": 11, **gpt}, {"room_ids": [4], "message_id": 12, **local}],
        user_id=user.id,
        occurred_at=now - timedelta(seconds=1),
    )
    store_events("booking.clicked", [{"room_id": 1, "message_id": 11}] * 2, user_id=user.id)  # a double click
    store_events("play.logged", [{"room_id": 2}], user_id=user.id)
    client = Client()
    client.force_login(staff_user)

    response = client.get("/staff/insights/")

    chart = charts_of(response)["cost-per-success"]
    assert chart["kind"] == "line" and chart["unit"] == "usd"
    # Only gpt has a success, so only gpt has a line; a day without a success is a gap (null), not $0.
    assert [series["name"] for series in chart["series"]] == ["openai/gpt-4o-mini"]
    values = {point["label"]: point["value"] for point in chart["series"][0]["points"]}
    assert len(values) == 30 and values[f"{today.month}.{today.day}"] == pytest.approx(0.003)
    assert values[f"{(today - timedelta(days=1)).month}.{(today - timedelta(days=1)).day}"] is None
    assert "성공 2건 (노출 4건)" in chart["note"]
    kpis = {kpi["label"]: kpi["value"] for kpi in response.context["kpis"]}
    assert kpis["성공 추천당 LLM 비용"] == "$0.0030"
    rows = {(row["date"], row["label"]): row for row in response.context["cost_rows"]}
    assert rows[(None, "openai/gpt-4o-mini")]["per_success_text"] == "$0.0030"
    assert rows[(today, "local/local-templates")]["per_success_text"] == "—"
    html = response.content.decode()
    assert "성공당 비용" in html and "기간 합계" in html
