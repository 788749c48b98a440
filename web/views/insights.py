"""The staff insights page: the analytics drawn as charts (static/js/charts.js renders the specs)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from analytics.selectors import insights_compute, plays_insights, recommendation_cost_insights
from ml.inference import monthly_trends

PERIODS = (7, 30, 90)
TOP = 8


def _series(name: str, points: list[tuple[str, float]], **extra) -> dict:
    return {"name": name, "points": [{"label": label, "value": value} for label, value in points], **extra}


def insight_charts(*, insights: dict) -> tuple[list[dict], list[dict]]:
    """KPI tiles and chart specs from `insights_compute`'s numbers (labels are Korean, values plain)."""
    success = insights["recommendation_success"]
    rate = success["rate"]
    cost = sum(item["cost_usd"] for item in insights["llm_usage"])
    kpis = [
        {"label": "대화 메시지", "value": f"{insights['chat_messages']:,}"},
        {"label": "활성 사용자", "value": f"{insights['active_users']:,}"},
        {"label": "추천 성공률", "value": "—" if rate is None else f"{rate * 100:.1f}%"},
        {"label": "LLM 비용", "value": "$0" if cost == 0 else f"${cost:,.4f}" if cost < 1 else f"${cost:,.2f}"},
    ]
    days = insights["chats_per_day"]
    feedback = success["feedback"]
    charts = [
        {
            "id": "regions",
            "title": "인기 지역",
            "note": "검색·추천·클릭·후기를 합한 횟수",
            "kind": "hbar",
            "unit": "",
            "series": [_series("지역", [(row["region"], row["total"]) for row in insights["popular_regions"][:TOP]])],
        },
        {
            "id": "genres",
            "title": "인기 장르",
            "note": "검색·추천·클릭·후기를 합한 횟수",
            "kind": "hbar",
            "unit": "",
            "series": [_series("장르", [(row["genre"], row["total"]) for row in insights["popular_genres"][:TOP]])],
        },
        {
            "id": "chats",
            "title": "일별 대화",
            "kind": "line",
            "unit": "",
            "series": [
                _series("메시지", [(_day_label(row["date"]), row["messages"]) for row in days]),
                _series("대화 세션", [(_day_label(row["date"]), row["sessions"]) for row in days]),
            ],
        },
        {
            "id": "success",
            "title": "추천 성공",
            "note": "성공: 추천 뒤 클릭·좋아요·후기로 이어진 추천",
            "kind": "hbar",
            "unit": "",
            "series": [
                _series(
                    "추천",
                    [
                        ("노출", success["shown"]),
                        ("성공", success["successful_recommendations"]),
                        ("클릭", feedback.get("clicked", 0)),
                        ("좋아요", feedback.get("liked", 0)),
                        ("싫어요", feedback.get("disliked", 0)),
                    ],
                )
            ],
        },
        {
            "id": "llm-cost",
            "title": "LLM 비용 (모델별)",
            "note": "호출 수와 토큰은 관리자 API(/analytics/insights)에서 볼 수 있어요",
            "kind": "hbar",
            "unit": "usd",
            "series": [_series("비용", [(_model_label(item), item["cost_usd"]) for item in insights["llm_usage"]])],
        },
    ]
    return kpis, charts


TREND_COLORS = ("#5b3df5", "#ff6b4a", "#0e9f6e")
TREND_SERIES = 3
TREND_MONTHS = 3


def trend_chart(*, trends: dict, chart_id: str, title: str) -> dict | None:
    """The busiest series of ml's monthly trends: history as solid lines, the forecast dashed from the last
    real month on, one colour per series. None when there is no history yet."""
    ranked = sorted(trends["series"], key=lambda item: -sum(point["value"] for point in item["history"]))
    series = []
    for color, item in zip(TREND_COLORS, ranked[:TREND_SERIES], strict=False):
        history = [(_month_label(point["month"]), point["value"]) for point in item["history"][-9:]]
        forecast = [(_month_label(point["month"]), point["value"]) for point in item["forecast"]]
        series.append(_series(item["key"], history, color=color))
        series.append(_series(f"{item['key']} 예측", history[-1:] + forecast, color=color, dashed=True))
    if not series:
        return None
    model = trends["model_version"]
    note = f"점선은 앞으로 {TREND_MONTHS}개월 예측 ({'기준선 모델' if model.startswith('baseline') else model})"
    return {"id": chart_id, "title": title, "note": note, "kind": "line", "unit": "", "series": series}


def play_insight_charts(*, plays: dict) -> tuple[dict, dict]:
    """The KPI tile of recommendations later played, and the chart of plays logged per month."""
    converted = plays["recommended_then_played"]
    rate = converted["rate"]
    kpi = {"label": "추천 → 플레이", "value": "—" if rate is None else f"{rate * 100:.1f}%"}
    chart = {
        "id": "plays",
        "title": "월별 플레이 기록",
        "note": f"이 기간 추천된 테마 {converted['recommended']:,}개 중 {converted['played']:,}개를 나중에 플레이",
        "kind": "bar",
        "unit": "",
        "series": [_series("플레이", [(_month_label(row["month"]), row["plays"]) for row in plays["plays_per_month"]])],
    }
    return kpi, chart


def _usd(value: float | None) -> str:
    if value is None:
        return "—"
    return "$0" if value == 0 else f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def cost_per_success_chart(*, cost: dict, day_from, day_to) -> tuple[dict, dict, list[dict]]:
    """The KPI tile, the chart (LLM cost per successful recommendation, a line per model over the days; a day
    without a success is a gap) and the table rows (per model, then per day and model) of
    `recommendation_cost_insights`."""
    total = cost["total"]
    kpi = {"label": "성공 추천당 LLM 비용", "value": _usd(total["cost_per_success"])}
    days = [day_from + timedelta(days=offset) for offset in range((day_to - day_from).days + 1)]
    by_cell = {(row["date"], _model_label(row) or "미상"): row for row in cost["per_day"]}
    series = []
    for item in cost["by_model"]:
        label = _model_label(item) or "미상"
        points = [(_day_label(day), (by_cell.get((day, label)) or {}).get("cost_per_success")) for day in days]
        if any(value is not None for _, value in points):
            series.append(_series(label, points))
    chart = {
        "id": "cost-per-success",
        "title": "성공 추천당 LLM 비용 (모델별, 일별)",
        "note": (
            f"성공: 추천 후 {cost['window_days']}일 안에 예약 링크를 누르거나 플레이를 기록한 추천 · "
            f"기간 합계 {_usd(total['cost_usd'])} ÷ 성공 {total['successes']:,}건 (노출 {total['shown']:,}건)"
        ),
        "kind": "line",
        "unit": "usd",
        "series": series,
    }
    rows = []
    for item in cost["by_model"]:
        rows.append({"date": None, **item, "label": _model_label(item) or "미상"})
    for item in reversed(cost["per_day"]):  # the latest day first
        rows.append({**item, "label": _model_label(item) or "미상"})
    for row in rows:
        row["cost_text"] = _usd(row["cost_usd"])
        row["per_success_text"] = _usd(row["cost_per_success"])
    return kpi, chart, rows


def _month_label(month: str) -> str:
    """'2026-05' → '5월'; January carries its year ('27년 1월') so the axis shows where a year starts."""
    year, number = month.split("-")
    return f"{year[2:]}년 1월" if number == "01" else f"{int(number)}월"


def _model_label(usage: dict) -> str:
    return f"{usage['provider']}/{usage['model']}".strip("/")


def _day_label(day) -> str:
    return f"{day.month}.{day.day}"


@require_GET
@login_required
def staff_insights_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise PermissionDenied("운영진만 볼 수 있는 페이지입니다.")
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        days = 30
    if days not in PERIODS:
        days = 30
    day_to = timezone.localdate()
    insights = insights_compute(day_from=day_to - timedelta(days=days - 1), day_to=day_to)
    kpis, charts = insight_charts(insights=insights)
    play_kpi, play_chart = play_insight_charts(plays=plays_insights(day_from=insights["from"], day_to=day_to))
    kpis.append(play_kpi)
    charts.insert(4, play_chart)
    cost = recommendation_cost_insights(day_from=insights["from"], day_to=day_to)
    cost_kpi, cost_chart, cost_rows = cost_per_success_chart(cost=cost, day_from=insights["from"], day_to=day_to)
    kpis.append(cost_kpi)
    charts.insert(6, cost_chart)
    for kind, title in (("genre", "월별 장르 수요와 예측"), ("region", "월별 지역 수요와 예측")):
        chart = trend_chart(
            trends=monthly_trends(kind=kind, months=TREND_MONTHS), chart_id=f"trend-{kind}", title=title
        )
        if chart is not None:
            charts.append(chart)
    context = {
        "kpis": kpis,
        "charts": charts,
        "cost_rows": cost_rows,
        "days": days,
        "periods": PERIODS,
        "generated_at": timezone.now(),
    }
    return render(request, "insights/insights.html", context)
