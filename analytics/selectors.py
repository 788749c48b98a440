"""Insights, read from the daily rollups with SQL aggregation (never a Python loop over events)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connections

_REGION_GENRE_METRICS = {
    "search": "searches",
    "shown": "recommendations_shown",
    "click": "clicks",
    "review": "reviews",
}


def insights_database() -> str:
    """The database alias insights read from: a PostgreSQL replica when `DATABASE_INSIGHTS_URL` names one
    (long reads for the staff dashboards stay off the primary), else the primary."""
    return "insights" if "insights" in settings.DATABASES else "default"


def _rows(sql: str, params: dict) -> list[tuple]:
    with connections[insights_database()].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _popular(rows: list[tuple], dimension: str) -> list[dict]:
    ranked = []
    for key, *counts in rows:
        names = _REGION_GENRE_METRICS.values()
        item = {dimension: key, **{name: int(value) for name, value in zip(names, counts, strict=True)}}
        item["total"] = sum(int(value) for value in counts)
        ranked.append(item)
    return ranked


def _month_split(day_from: date, day_to: date) -> dict:
    """Whole months inside day_from..day_to ([month_from, month_to)) and the days before and after them."""
    month_from = day_from if day_from.day == 1 else (day_from.replace(day=1) + timedelta(days=32)).replace(day=1)
    month_to = (day_to + timedelta(days=1)).replace(day=1)  # the 1st of day_to's month, or of the next
    if month_from >= month_to:  # no whole month: every day comes from the day rows
        return {"month_from": month_from, "month_to": month_from, "head_to": day_to, "tail_from": day_to}
    return {
        "month_from": month_from,
        "month_to": month_to,
        "head_to": month_from - timedelta(days=1),
        "tail_from": month_to,
    }


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def insights_compute(*, day_from: date, day_to: date) -> dict:
    """Business numbers for the local dates day_from..day_to (inclusive)."""
    params = {"day_from": day_from, "day_to": day_to}
    popular: dict[str, list[dict]] = {}
    for dimension in ("region", "genre"):
        metric_names = [f"{prefix}.{dimension}" for prefix in _REGION_GENRE_METRICS]
        rows = _rows(
            """
            SELECT key,
                   COALESCE(sum(count) FILTER (WHERE metric = %(m1)s), 0),
                   COALESCE(sum(count) FILTER (WHERE metric = %(m2)s), 0),
                   COALESCE(sum(count) FILTER (WHERE metric = %(m3)s), 0),
                   COALESCE(sum(count) FILTER (WHERE metric = %(m4)s), 0)
            FROM analytics_eventrollup
            WHERE day BETWEEN %(day_from)s AND %(day_to)s AND metric IN (%(m1)s, %(m2)s, %(m3)s, %(m4)s)
            GROUP BY key
            ORDER BY sum(count) DESC, key
            """,
            {**params, **{f"m{i}": name for i, name in enumerate(metric_names, start=1)}},
        )
        popular[dimension] = _popular(rows, dimension)

    totals = {
        (metric, key): (int(count), total)
        for metric, key, count, total in _rows(
            """
            SELECT metric, key, sum(count), sum(total) FROM analytics_eventrollup
            WHERE day BETWEEN %(day_from)s AND %(day_to)s
              AND metric IN ('events', 'chat.ran_search', 'error', 'recommendation.feedback',
                             'llm.calls', 'llm.input_tokens', 'llm.output_tokens', 'llm.cost_usd', 'llm.fallbacks',
                             'active.chat_session', 'active.recommendation.success')
            GROUP BY metric, key
            """,
            params,
        )
    }
    # Exact distinct users over the range: whole months from the month rows, the days at either end
    # from the day rows (index-only scans of (kind, day, subject_id)). Sessions and successful
    # recommendations are summed per day (a session spanning midnight counts on both days).
    active_users = _rows(
        """
        SELECT count(*) FROM (
            SELECT subject_id FROM analytics_dailyactivity
            WHERE kind = 'user.month' AND day >= %(month_from)s AND day < %(month_to)s
            UNION
            SELECT subject_id FROM analytics_dailyactivity
            WHERE kind = 'user'
              AND (day BETWEEN %(day_from)s AND %(head_to)s OR day BETWEEN %(tail_from)s AND %(day_to)s)
        ) users
        """,
        {**params, **_month_split(day_from, day_to)},
    )[0][0]
    per_day = _rows(
        """
        SELECT d::date,
               COALESCE(sum(r.count) FILTER (WHERE r.metric = 'events'), 0),
               COALESCE(sum(r.count) FILTER (WHERE r.metric = 'active.chat_session'), 0),
               COALESCE(sum(r.count) FILTER (WHERE r.metric = 'active.user'), 0)
        FROM generate_series(%(day_from)s::date, %(day_to)s::date, interval '1 day') d
        LEFT JOIN analytics_eventrollup r
          ON r.day = d::date AND r.day BETWEEN %(day_from)s AND %(day_to)s
         AND ((r.metric = 'events' AND r.key = 'chat.message') OR r.metric IN ('active.chat_session', 'active.user'))
        GROUP BY d ORDER BY d
        """,
        params,
    )

    def count(metric: str, key: str = "") -> int:
        return totals.get((metric, key), (0, 0))[0]

    def total(metric: str, key: str) -> Decimal:
        return totals.get((metric, key), (0, Decimal(0)))[1]

    events_by_type = {key: value[0] for (metric, key), value in totals.items() if metric == "events"}
    messages = events_by_type.get("chat.message", 0)
    with_search = count("chat.ran_search")
    shown = events_by_type.get("recommendation.shown", 0)
    successes = count("active.recommendation.success")
    llm_keys = sorted({key for (metric, key) in totals if metric == "llm.calls"})
    llm_usage = []
    for key in llm_keys:
        provider, _, model = key.partition("/")
        llm_usage.append(
            {
                "provider": provider,
                "model": model,
                "calls": count("llm.calls", key),
                "input_tokens": int(total("llm.input_tokens", key)),
                "output_tokens": int(total("llm.output_tokens", key)),
                "cost_usd": float(round(total("llm.cost_usd", key), 6)),
                "fallbacks": count("llm.fallbacks", key),
            }
        )
    llm_usage.sort(key=lambda item: (-item["cost_usd"], -item["calls"], item["provider"], item["model"]))
    errors = sorted(
        ({"error_type": key, "count": value[0]} for (metric, key), value in totals.items() if metric == "error"),
        key=lambda item: (-item["count"], item["error_type"]),
    )
    feedback = {key: value[0] for (metric, key), value in totals.items() if metric == "recommendation.feedback"}
    return {
        "from": day_from,
        "to": day_to,
        "days": (day_to - day_from).days + 1,
        "events_by_type": dict(sorted(events_by_type.items())),
        "popular_regions": popular["region"],
        "popular_genres": popular["genre"],
        "chats_per_day": [
            {"date": day, "messages": int(msgs), "sessions": int(sessions), "active_users": int(users)}
            for day, msgs, sessions, users in per_day
        ],
        "chat_messages": messages,
        "chat_sessions": count("active.chat_session"),
        "active_users": int(active_users),
        "rag_usage": {"rate": _rate(with_search, messages), "messages_with_search": with_search, "messages": messages},
        "recommendation_success": {
            "rate": _rate(successes, shown),
            "successful_recommendations": successes,
            "shown": shown,
            "feedback": dict(sorted(feedback.items())),
        },
        "llm_usage": llm_usage,
        "errors_by_type": errors,
    }


# --- plays (the play log's events) ---------------------------------------------------------------

# Recommended rooms: a chat's `recommendation.shown` (to its user) and a party's `party.recommendations_shown` (to
# every member), as (user, room, first time shown) pairs.
_SHOWN_PAIRS = """
    SELECT user_id, room_id, min(at) AS at FROM (
        SELECT e.user_id, r.value::bigint AS room_id, e.occurred_at AS at
        FROM analytics_event e
        CROSS JOIN LATERAL jsonb_array_elements_text(
            CASE WHEN jsonb_typeof(e.payload->'room_ids') = 'array' THEN e.payload->'room_ids' ELSE '[]' END) r
        WHERE e.type = 'recommendation.shown' AND e.user_id IS NOT NULL
          AND e.occurred_at >= %(start)s AND e.occurred_at < %(end)s
        UNION ALL
        SELECT m.value::bigint, r.value::bigint, e.occurred_at
        FROM analytics_event e
        CROSS JOIN LATERAL jsonb_array_elements_text(
            CASE WHEN jsonb_typeof(e.payload->'room_ids') = 'array' THEN e.payload->'room_ids' ELSE '[]' END) r
        CROSS JOIN LATERAL jsonb_array_elements_text(
            CASE WHEN jsonb_typeof(e.payload->'member_ids') = 'array' THEN e.payload->'member_ids' ELSE '[]' END) m
        WHERE e.type = 'party.recommendations_shown'
          AND e.occurred_at >= %(start)s AND e.occurred_at < %(end)s
    ) shown GROUP BY user_id, room_id
"""


def plays_insights(*, day_from: date, day_to: date, months: int = 12) -> dict:
    """Plays logged per month (the `months` up to day_to's), and of the rooms recommended in day_from..day_to,
    the share their user logged as played afterwards: the strongest success signal there is.

    A recommendation is a (user, room) pair, counted once however often it was shown; it succeeded when a
    `play.logged` of that user and room came after it was first shown (at any time up to now). Unlike the other
    insights this reads the events of the range (the (type, occurred_at) index): pairing a play with an earlier
    recommendation of the same room needs both. The staff page shows it; the insights API stays on the rollups.
    """
    from django.utils import timezone

    first_month = day_to.replace(day=1)
    for _ in range(months - 1):
        first_month = (first_month - timedelta(days=1)).replace(day=1)
    per_month = dict(
        _rows(
            """
            SELECT date_trunc('month', day)::date, sum(count) FROM analytics_eventrollup
            WHERE metric = 'events' AND key = 'play.logged' AND day BETWEEN %(first)s AND %(day_to)s
            GROUP BY 1
            """,
            {"first": first_month, "day_to": day_to},
        )
    )
    month_list, month = [], first_month
    while month <= day_to:
        month_list.append({"month": month.strftime("%Y-%m"), "plays": int(per_month.get(month, 0))})
        month = (month + timedelta(days=32)).replace(day=1)

    tz = timezone.get_default_timezone()  # local dates, as every insight is asked
    start = datetime.combine(day_from, time.min, tzinfo=tz)
    end = datetime.combine(day_to + timedelta(days=1), time.min, tzinfo=tz)
    shown, played = _rows(
        f"""
        WITH shown AS ({_SHOWN_PAIRS}),
        played AS (
            SELECT user_id, (payload->>'room_id')::bigint AS room_id, min(occurred_at) AS at
            FROM analytics_event
            WHERE type = 'play.logged' AND user_id IS NOT NULL AND occurred_at >= %(start)s
              AND jsonb_typeof(payload->'room_id') = 'number'
            GROUP BY 1, 2
        )
        SELECT count(*), count(*) FILTER (WHERE p.at > s.at)
        FROM shown s LEFT JOIN played p ON p.user_id = s.user_id AND p.room_id = s.room_id
        """,  # noqa: S608 - a constant of this module; values are parameters
        {"start": start, "end": end},
    )[0]
    return {
        "plays_per_month": month_list,
        "recommended_then_played": {
            "rate": _rate(int(played), int(shown)),
            "played": int(played),
            "recommended": int(shown),
        },
    }


# --- cost per successful recommendation ------------------------------------------------------------

# One row per recommendation (a room in a chat reply's `recommendation.shown`), with the reply's model.
_RECOMMENDATIONS = """
    SELECT e.id AS shown_id, e.user_id, e.occurred_at AS at, (e.occurred_at AT TIME ZONE %(tz)s)::date AS day,
           COALESCE(e.payload->>'provider', '') || '/' || COALESCE(e.payload->>'model', '') AS key,
           CASE WHEN jsonb_typeof(e.payload->'message_id') = 'number' THEN (e.payload->>'message_id')::bigint END
               AS message_id,
           r.value::bigint AS room_id
    FROM analytics_event e
    CROSS JOIN LATERAL jsonb_array_elements_text(
        CASE WHEN jsonb_typeof(e.payload->'room_ids') = 'array' THEN e.payload->'room_ids' ELSE '[]' END) r
    WHERE e.type = 'recommendation.shown' AND e.occurred_at >= %(shown_from)s AND e.occurred_at < %(end)s
"""
# Success signals of users: booking clicks, and plays (not imported ones: a history imported from elsewhere was
# played before anything here recommended it).
_SIGNALS = """
    SELECT e.id, e.type, e.user_id, e.occurred_at AS at, (e.payload->>'room_id')::bigint AS room_id,
           CASE WHEN e.type = 'booking.clicked' AND jsonb_typeof(e.payload->'message_id') = 'number'
                THEN (e.payload->>'message_id')::bigint END AS message_id
    FROM analytics_event e
    WHERE e.type IN ('booking.clicked', 'play.logged') AND e.user_id IS NOT NULL
      AND e.occurred_at >= %(start)s AND e.occurred_at < %(signals_to)s
      AND jsonb_typeof(e.payload->'room_id') = 'number'
      AND (e.type <> 'play.logged' OR e.payload->>'source' IS DISTINCT FROM 'import')
"""


def _cost_row(*, key: str, cost: Decimal, shown: int, booked: int, played: int, successes: int) -> dict:
    provider, _, model = key.partition("/")
    cost_usd = float(round(cost, 6))
    return {
        "provider": provider,
        "model": model,
        "cost_usd": cost_usd,
        "shown": shown,
        "successes": successes,
        "booked": booked,
        "played": played,
        "cost_per_success": round(cost_usd / successes, 6) if successes else None,
    }


def recommendation_cost_insights(*, day_from: date, day_to: date, window_days: int | None = None) -> dict:
    """Per local day and per LLM provider/model: the LLM cost, the recommendations shown, how many succeeded, and
    the cost per success (None without a success).

    A recommendation is one room in one chat reply (`recommendation.shown`, which names the reply's provider and
    model). Each success signal of a user, a `booking.clicked` or a `play.logged` (not an imported one), credits
    one recommendation of the same room to the same user shown at most `window_days` before it: the one the
    click came from when it names its message, else the latest. A recommendation credited by several signals (a
    double click, a click and then a play) is one success. Successes count on the day their recommendation was
    shown (so a day's figure can still grow for `window_days`), against the LLM cost of that day and model (the
    `llm.cost_usd` rollups: every turn's cost, the replies without recommendations included). Like
    `plays_insights`, pairing a signal with an earlier recommendation reads the events (the (type, occurred_at)
    index); the cost comes from the rollups.
    """
    from django.utils import timezone

    window = timedelta(days=settings.RECOMMENDATION_SUCCESS_WINDOW_DAYS if window_days is None else window_days)
    tz = timezone.get_default_timezone()
    start = datetime.combine(day_from, time.min, tzinfo=tz)
    end = datetime.combine(day_to + timedelta(days=1), time.min, tzinfo=tz)
    params = {
        "tz": settings.TIME_ZONE,
        "start": start,
        "end": end,
        # earlier recommendations too: a signal in the range credits the latest one, which may precede the range
        "shown_from": start - window,
        "signals_to": end + window,
        "window": window,
        "day_from": day_from,
        "day_to": day_to,
    }
    recommendations = _rows(
        f"""
        WITH shown AS MATERIALIZED ({_RECOMMENDATIONS}),
        signals AS MATERIALIZED ({_SIGNALS}),
        -- A click from a reply's card credits that reply (one row: a message id names one recommendation event).
        by_message AS (
            SELECT sg.type, s.shown_id, s.room_id
            FROM signals sg
            JOIN shown s ON s.message_id = sg.message_id AND s.room_id = sg.room_id AND s.user_id = sg.user_id
            WHERE sg.message_id IS NOT NULL AND s.at <= sg.at AND s.at >= sg.at - %(window)s
        ),
        -- Any other signal credits the latest recommendation of its (user, room) before it: one ordered pass per
        -- (user, room) instead of a join of every signal with every earlier recommendation of the pair. `grp`
        -- counts the recommendations so far, so a signal shares its group with the one it follows.
        timeline AS (
            SELECT user_id, room_id, at, 0 AS kind, shown_id, NULL::text AS type FROM shown
            UNION ALL
            SELECT user_id, room_id, at, 1, NULL, type FROM signals WHERE message_id IS NULL
        ),
        grouped AS (
            SELECT *, count(shown_id) OVER (
                PARTITION BY user_id, room_id ORDER BY at, kind, shown_id ROWS UNBOUNDED PRECEDING) AS grp
            FROM timeline
        ),
        led AS (
            SELECT kind, type, room_id, at,
                   first_value(shown_id) OVER g AS led_by, first_value(at) OVER g AS led_at
            FROM grouped WHERE grp > 0
            WINDOW g AS (PARTITION BY user_id, room_id, grp ORDER BY kind, at, shown_id)
        ),
        credited AS (
            SELECT type, shown_id, room_id FROM by_message
            UNION ALL
            SELECT type, led_by, room_id FROM led WHERE kind = 1 AND led_at >= at - %(window)s
        ),
        succeeded AS (
            SELECT shown_id, room_id,
                   bool_or(type = 'booking.clicked') AS booked, bool_or(type = 'play.logged') AS played
            FROM credited GROUP BY shown_id, room_id
        )
        SELECT s.day, s.key, count(*), count(*) FILTER (WHERE x.booked), count(*) FILTER (WHERE x.played),
               count(x.shown_id)
        FROM shown s LEFT JOIN succeeded x ON x.shown_id = s.shown_id AND x.room_id = s.room_id
        WHERE s.at >= %(start)s
        GROUP BY s.day, s.key
        """,  # noqa: S608 - constants of this module; values are parameters
        params,
    )
    costs = _rows(
        """
        SELECT day, key, sum(total) FROM analytics_eventrollup
        WHERE metric = 'llm.cost_usd' AND day BETWEEN %(day_from)s AND %(day_to)s
        GROUP BY day, key
        """,
        params,
    )
    cells: dict[tuple[date, str], dict] = {}
    for day, key, cost in costs:
        cells[(day, key)] = {"cost": cost, "shown": 0, "booked": 0, "played": 0, "successes": 0}
    for day, key, shown, booked, played, successes in recommendations:
        cell = cells.setdefault((day, key), {"cost": Decimal(0)})
        cell.update(shown=int(shown), booked=int(booked), played=int(played), successes=int(successes))
    per_day = [{"date": day, **_cost_row(key=key, **cell)} for (day, key), cell in sorted(cells.items())]
    by_key: dict[str, dict] = {}
    for (_day, key), cell in cells.items():
        sums = by_key.setdefault(key, {"cost": Decimal(0), "shown": 0, "booked": 0, "played": 0, "successes": 0})
        for name, value in cell.items():
            sums[name] += value
    by_model = sorted(
        (_cost_row(key=key, **sums) for key, sums in by_key.items()),
        key=lambda row: (-row["cost_usd"], -row["shown"], row["provider"], row["model"]),
    )
    totals = {"cost": Decimal(0), "shown": 0, "booked": 0, "played": 0, "successes": 0}
    for sums in by_key.values():
        for name, value in sums.items():
            totals[name] += value
    total = _cost_row(key="/", **totals)
    del total["provider"], total["model"]
    return {
        "from": day_from,
        "to": day_to,
        "window_days": window.days,
        "per_day": per_day,
        "by_model": by_model,
        "total": total,
    }
