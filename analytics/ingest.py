"""The SQL that stores events idempotently and keeps the daily rollups in step, in one statement.

`INSERT ... ON CONFLICT (event_id) DO NOTHING RETURNING` yields only the rows that are new, and the
rollup inserts read those rows in the same statement: an event stored twice is counted once, and a
crash can never leave events without their rollup (or the reverse).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction

# Rows (day, metric, key, total) per event, computed from a relation `src` of events. Each metric is
# summed by (day, metric, key); `count` is the number of rows, `total` the sum of `total`.
_ROLLUP_ROWS = """
    SELECT d, 'events' AS metric, e.type AS key, 0::numeric AS total FROM {src} e
    UNION ALL SELECT d, 'search.region', e.payload->>'region', 0 FROM {src} e
        WHERE e.type = 'search.performed' AND e.payload->>'region' IS NOT NULL
    UNION ALL SELECT d, 'search.genre', g, 0 FROM {src} e,
        jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.payload->'genres') = 'array'
                                       THEN e.payload->'genres' ELSE '[]'::jsonb END) g
        WHERE e.type = 'search.performed'
    UNION ALL SELECT d, 'shown.region', e.payload->>'region', 0 FROM {src} e
        WHERE e.type = 'recommendation.shown' AND e.payload->>'region' IS NOT NULL
    UNION ALL SELECT d, 'shown.genre', g, 0 FROM {src} e,
        jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.payload->'genres') = 'array'
                                       THEN e.payload->'genres' ELSE '[]'::jsonb END) g
        WHERE e.type = 'recommendation.shown'
    UNION ALL SELECT d, 'click.region', COALESCE(e.payload->>'region', s.payload->>'region'), 0
        FROM {src} e LEFT JOIN LATERAL (
            SELECT x.payload FROM analytics_event x
            WHERE x.type = 'recommendation.shown' AND x.payload->>'message_id' = e.payload->>'message_id' LIMIT 1
        ) s ON true
        WHERE e.type = 'recommendation.clicked' AND e.payload->>'feedback' IN ('clicked', 'liked')
          AND COALESCE(e.payload->>'region', s.payload->>'region') IS NOT NULL
    UNION ALL SELECT d, 'click.genre', g, 0
        FROM {src} e LEFT JOIN LATERAL (
            SELECT x.payload FROM analytics_event x
            WHERE x.type = 'recommendation.shown' AND x.payload->>'message_id' = e.payload->>'message_id' LIMIT 1
        ) s ON true,
        jsonb_array_elements_text(CASE
            WHEN jsonb_typeof(e.payload->'genres') = 'array' THEN e.payload->'genres'
            WHEN jsonb_typeof(s.payload->'genres') = 'array' THEN s.payload->'genres'
            ELSE '[]'::jsonb END) g
        WHERE e.type = 'recommendation.clicked' AND e.payload->>'feedback' IN ('clicked', 'liked')
    UNION ALL SELECT d, 'review.region', e.payload->>'region', 0 FROM {src} e
        WHERE e.type = 'review.created' AND e.payload->>'region' IS NOT NULL
    UNION ALL SELECT d, 'review.genre', g, 0 FROM {src} e,
        jsonb_array_elements_text(CASE WHEN jsonb_typeof(e.payload->'genres') = 'array'
                                       THEN e.payload->'genres' ELSE '[]'::jsonb END) g
        WHERE e.type = 'review.created'
    UNION ALL SELECT d, 'recommendation.feedback', e.payload->>'feedback', 0 FROM {src} e
        WHERE e.type = 'recommendation.clicked'
    UNION ALL SELECT d, 'chat.ran_search', '', 0 FROM {src} e
        WHERE e.type = 'chat.message' AND (e.payload->>'ran_search')::boolean
    UNION ALL SELECT d, m.metric, COALESCE(e.payload->>'provider', '') || '/' || COALESCE(e.payload->>'model', ''),
                     m.total
        FROM {src} e CROSS JOIN LATERAL (VALUES
            ('llm.calls', 0::numeric),
            ('llm.input_tokens', COALESCE((e.payload->>'input_tokens')::numeric, 0)),
            ('llm.output_tokens', COALESCE((e.payload->>'output_tokens')::numeric, 0)),
            ('llm.cost_usd', COALESCE((e.payload->>'cost_usd')::numeric, 0))
        ) m(metric, total)
        WHERE e.type = 'chat.message' AND e.payload->>'provider' IS NOT NULL
    UNION ALL SELECT d, 'llm.fallbacks',
                     COALESCE(e.payload->>'provider', '') || '/' || COALESCE(e.payload->>'model', ''), 0
        FROM {src} e WHERE e.type = 'chat.message' AND (e.payload->>'fallback')::boolean
    UNION ALL SELECT d, 'error', e.payload->>'error_type', 0 FROM {src} e
        WHERE e.type = 'error' AND e.payload->>'error_type' IS NOT NULL
"""

_ACTIVITY_ROWS = """
    SELECT d, 'user' AS kind, e.user_id AS subject_id FROM {src} e WHERE e.user_id IS NOT NULL
    -- month rows (day = the 1st) let a long range count distinct users over months, not days
    UNION SELECT date_trunc('month', d)::date, 'user.month', e.user_id FROM {src} e WHERE e.user_id IS NOT NULL
    UNION SELECT d, 'chat_session', e.chat_session_id FROM {src} e WHERE e.chat_session_id IS NOT NULL
    UNION SELECT d, 'recommendation.success', (e.payload->>'message_id')::bigint FROM {src} e
        WHERE e.type = 'recommendation.clicked' AND e.payload->>'feedback' IN ('clicked', 'liked')
          AND jsonb_typeof(e.payload->'message_id') = 'number'
"""


def _day_source(relation: str) -> str:
    # `d` is the event's calendar day in the project's time zone (insights are asked in local dates).
    return f"(SELECT r.*, (r.occurred_at AT TIME ZONE %(tz)s)::date AS d FROM {relation} r)"  # noqa: S608 - constant SQL


def _rollup_upserts(src: str) -> tuple[str, str]:
    # S608: every fragment is a constant of this module; values always go in as parameters.
    rollup = f"""
        INSERT INTO analytics_eventrollup (day, metric, key, count, total)
        SELECT d, metric, LEFT(key, 200), count(*), COALESCE(sum(total), 0)
        FROM ({_ROLLUP_ROWS.format(src=src)}) rows
        GROUP BY d, metric, LEFT(key, 200)
        ON CONFLICT (metric, day, key) DO UPDATE
        SET count = analytics_eventrollup.count + EXCLUDED.count,
            total = analytics_eventrollup.total + EXCLUDED.total
    """  # noqa: S608
    activity = f"""
        INSERT INTO analytics_dailyactivity (day, kind, subject_id)
        SELECT DISTINCT d, kind, subject_id FROM ({_ACTIVITY_ROWS.format(src=src)}) rows
        ON CONFLICT (kind, day, subject_id) DO NOTHING
    """  # noqa: S608
    return rollup, activity


_ROLLUP_FROM_NEW, _ACTIVITY_FROM_NEW = _rollup_upserts(_day_source("new_events"))

# Daily distinct counts (`active.user`, `active.chat_session`, `active.recommendation.success`) as
# rollups too, counted when a (day, kind, subject) is first seen, so insights never count distinct
# over the activity table except for active users across a range.
_ACTIVE_ROLLUP = """
        INSERT INTO analytics_eventrollup (day, metric, key, count, total)
        SELECT day, 'active.' || kind, '', count(*), 0 FROM {src} GROUP BY day, kind
        ON CONFLICT (metric, day, key) DO UPDATE SET count = analytics_eventrollup.count + EXCLUDED.count
"""

# The batch arrives as one JSON array parameter: no per-row round trips, no re-serialisation.
_INSERT = f"""
    WITH incoming AS (
        SELECT x.event_id, x.type, u.id AS user_id, x.chat_session_id, x.payload, x.occurred_at
        FROM jsonb_to_recordset(%(batch)s::jsonb) AS x(
            event_id uuid, type text, user_id bigint, chat_session_id bigint, payload jsonb, occurred_at timestamptz)
        -- an event about a since-deleted user is kept without the user instead of failing the batch
        LEFT JOIN accounts_user u ON u.id = x.user_id
    ), new_events AS (
        INSERT INTO analytics_event (event_id, type, user_id, chat_session_id, payload, occurred_at, received_at)
        SELECT event_id, type, user_id, chat_session_id, COALESCE(payload, '{{}}'::jsonb), occurred_at, now()
        FROM incoming
        ON CONFLICT (event_id) DO NOTHING
        RETURNING id, type, user_id, chat_session_id, payload, occurred_at
    ), rollup AS ({_ROLLUP_FROM_NEW} RETURNING 1
    ), activity AS ({_ACTIVITY_FROM_NEW} RETURNING day, kind
    ), activity_rollup AS ({_ACTIVE_ROLLUP.format(src="activity")} RETURNING 1
    )
    SELECT (SELECT count(*) FROM new_events)
"""  # noqa: S608


def events_insert(*, documents: list[str]) -> int:
    """Store validated event documents (JSON strings of one type); return how many were new."""
    if not documents:
        return 0
    batch = "[" + ",".join(documents) + "]"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_INSERT, {"batch": batch, "tz": settings.TIME_ZONE})
        return cursor.fetchone()[0]


def rollups_rebuild(*, day_from=None, day_to=None) -> None:
    """Recompute rollups from the events (all days, or a range of local dates) in one transaction."""
    where = ""
    params: dict = {"tz": settings.TIME_ZONE}
    if day_from is not None and day_to is not None:
        # Whole months, so the month rows of DailyActivity are rebuilt from all their days.
        day_from = day_from.replace(day=1)
        day_to = (day_to.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        where = "WHERE (occurred_at AT TIME ZONE %(tz)s)::date BETWEEN %(day_from)s AND %(day_to)s"
        params.update(day_from=day_from, day_to=day_to)
    rollup, activity = _rollup_upserts(_day_source(f"(SELECT * FROM analytics_event {where})"))  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        if where:
            cursor.execute("DELETE FROM analytics_eventrollup WHERE day BETWEEN %(day_from)s AND %(day_to)s", params)
            cursor.execute("DELETE FROM analytics_dailyactivity WHERE day BETWEEN %(day_from)s AND %(day_to)s", params)
        else:
            cursor.execute("TRUNCATE analytics_eventrollup, analytics_dailyactivity")
        cursor.execute(rollup, params)
        cursor.execute(activity, params)
        day_filter = "WHERE day BETWEEN %(day_from)s AND %(day_to)s" if where else ""
        active = _ACTIVE_ROLLUP.format(src=f"(SELECT * FROM analytics_dailyactivity {day_filter}) a")  # noqa: S608
        cursor.execute(active, params)
