"""Event pipeline throughput and insights query time, on a separate bench database.

    .venv/bin/python bench/events_throughput.py [--events 50000] [--insight-events 1000000] [--runs 50]

1. Throughput: events per second through event_record -> Redis buffer -> flush -> Event table,
   sequentially (one process) and overlapped (recording and flushing in two processes, two cores),
   against a baseline of one ORM INSERT per event measured in the same run.
2. Insights: 1M events generated with one generate_series INSERT, rollups rebuilt, then p50/p95 of
   the insights query for 30 and 365 days, against the same aggregation on the raw events.

Uses EMBEDDED_DB_NAME=escape_ai_bench (created if missing) and its own Redis prefix, so development
data is never touched. Targets: >= 5,000 events/s; insights p95 <= 200 ms at 1M events.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EMBEDDED_DB_NAME", "escape_ai_bench")
os.environ.setdefault("CACHE_KEY_PREFIX", "escape_ai_bench")
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(ROOT / "var" / "prometheus-bench"))
os.environ.setdefault("METRICS_JSONL_ENABLED", "false")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escape_ai.settings.base")


def _setup_django() -> None:
    if not os.environ.get("DATABASE_URL"):
        from escape_ai import embedded_db
        from escape_ai.settings.paths import EMBEDDED_DB_NAME, PGDATA_DIR

        embedded_db.ensure_database(embedded_db.ensure_server(PGDATA_DIR), EMBEDDED_DB_NAME)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _reset() -> None:
    from django.core.cache import cache
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE analytics_event, analytics_eventrollup, analytics_dailyactivity")
    cache.delete_pattern("analytics:*")


def _users(count: int) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                                       is_active, date_joined, favorite_regions, favorite_genres)
            SELECT '!', false, 'bench_' || g, '', '', 'bench_' || g || '@example.com', false, true, now(), '{}', '{}'
            FROM generate_series(1, %s) g
            ON CONFLICT DO NOTHING
            """,
            [count],
        )
        cursor.execute("SELECT id FROM accounts_user WHERE username LIKE 'bench\\_%%' ORDER BY id LIMIT %s", [count])
        return [row[0] for row in cursor.fetchall()]


def _payload(n: int) -> tuple[str, dict]:
    from rooms.vocabulary import GENRE_NAMES, REGION_NAMES

    region, genre = REGION_NAMES[n % len(REGION_NAMES)], GENRE_NAMES[n % len(GENRE_NAMES)]
    kind = n % 4
    if kind == 0:
        return "search.performed", {"query": f"{region} {genre}", "region": region, "genres": [genre], "players": 3}
    if kind == 1:
        return "recommendation.shown", {"room_ids": [n % 300, 7], "region": region, "genres": [genre], "message_id": n}
    if kind == 2:
        return "chat.message", {
            "message_id": n, "intent": "recommend", "ran_search": True, "provider": "local", "model": "offline",
            "input_tokens": 120, "output_tokens": 40, "cost_usd": 0.0, "fallback": False, "latency_ms": 35,
        }  # fmt: skip
    return "recommendation.clicked", {"room_id": n % 300, "message_id": n - 1, "feedback": "clicked"}


def _record(start: int, count: int, users: list[int]) -> None:
    from analytics.services import event_record

    for n in range(start, start + count):
        type_, payload = _payload(n)
        event_record(type=type_, user_id=users[n % len(users)], chat_session_id=n % 5000 + 1, payload=payload)


def _recorder(start: int, count: int, users: list[int]) -> None:
    from django.db import connections

    connections.close_all()
    _record(start, count, users)


def _event_count() -> int:
    from analytics.models import Event

    return Event.objects.count()


def _flusher(target: int) -> None:
    from django.db import connections

    from analytics.services import events_flush

    connections.close_all()
    # Counts what the flushes stored instead of a count(*) per loop: that count grew with the table and
    # ate the flusher's time (the caller still checks the table's count at the end).
    stored = 0
    while stored < target:
        inserted = events_flush()["inserted"]
        stored += inserted
        if inserted == 0:
            time.sleep(0.01)


def bench_throughput(events: int) -> dict:
    from django.db import connections

    from analytics.models import Event
    from analytics.services import events_flush

    users = _users(2000)
    figures = {}

    # The machine's ceiling for the record path: one bare RPUSH round trip per event, no validation.
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    started = time.perf_counter()
    for _ in range(min(events, 20000)):
        redis.rpush("escape_ai_bench:scratch", "x")
    figures["bare_rpush_per_s"] = min(events, 20000) / (time.perf_counter() - started)
    redis.delete("escape_ai_bench:scratch")

    _reset()
    started = time.perf_counter()
    _record(0, events, users)
    recorded = time.perf_counter()
    stats = events_flush()
    done = time.perf_counter()
    assert stats["inserted"] == events == _event_count(), stats
    figures["sequential"] = {
        "record_per_s": events / (recorded - started),
        "flush_per_s": events / (done - recorded),
        "end_to_end_per_s": events / (done - started),
    }

    # Two recorders (as two web processes would be) and one flusher, all at once on the two cores.
    _reset()
    connections.close_all()
    context = multiprocessing.get_context("fork")
    half = events // 2
    workers = [
        context.Process(target=_recorder, args=(0, half, users)),
        context.Process(target=_recorder, args=(half, events - half, users)),
        context.Process(target=_flusher, args=(events,)),
    ]
    started = time.perf_counter()
    for process in workers:
        process.start()
    for process in workers:
        process.join()
    done = time.perf_counter()
    assert _event_count() == events
    figures["overlapped"] = {"end_to_end_per_s": events / (done - started)}

    # Baseline: the obvious implementation, one ORM INSERT per event, no buffer.
    _reset()
    import uuid

    from django.utils import timezone

    baseline_n = min(events, 5000)
    started = time.perf_counter()
    for n in range(baseline_n):
        type_, payload = _payload(n)
        Event.objects.create(
            event_id=uuid.uuid4(), type=type_, user_id=users[n % len(users)], payload=payload,
            occurred_at=timezone.now(), received_at=timezone.now(),
        )  # fmt: skip
    figures["baseline_orm_insert_per_s"] = baseline_n / (time.perf_counter() - started)
    _reset()
    return figures


_GENERATE = """
INSERT INTO analytics_event (event_id, type, user_id, chat_session_id, payload, occurred_at, received_at)
SELECT gen_random_uuid(), t.type, %(first_user)s + g %% %(users)s, g %% 50000 + 1,
    CASE t.type
    WHEN 'search.performed' THEN jsonb_build_object('query', 'q', 'region', (%(regions)s::text[])[1 + g %% 12],
        'genres', jsonb_build_array((%(genres)s::text[])[1 + g %% 9], (%(genres)s::text[])[1 + (g / 7) %% 9]),
        'result_count', g %% 10)
    WHEN 'recommendation.shown' THEN jsonb_build_object('room_ids', jsonb_build_array(g %% 300),
        'region', (%(regions)s::text[])[1 + g %% 12], 'genres', jsonb_build_array((%(genres)s::text[])[1 + g %% 9]),
        'message_id', g)
    WHEN 'recommendation.clicked' THEN jsonb_build_object('room_id', g %% 300, 'message_id', g - 1,
        'feedback', (ARRAY['clicked', 'liked', 'disliked'])[1 + g %% 3])
    WHEN 'chat.message' THEN jsonb_build_object('message_id', g, 'intent', 'recommend', 'ran_search', g %% 3 <> 0,
        'provider', (ARRAY['openai', 'local', 'anthropic'])[1 + g %% 3], 'model', 'm' || (g %% 2),
        'input_tokens', 100 + g %% 50, 'output_tokens', 40, 'cost_usd', 0.0001, 'fallback', g %% 20 = 0)
    WHEN 'room.viewed' THEN jsonb_build_object('room_id', g %% 300)
    ELSE jsonb_build_object('error_type', (ARRAY['TimeoutError', 'ValueError', 'KeyError'])[1 + g %% 3])
    END,
    now() - ((g::bigint * 7919) %% (90 * 86400)) * interval '1 second', now()
FROM generate_series(1, %(count)s) g
CROSS JOIN LATERAL (SELECT (ARRAY['search.performed', 'recommendation.shown', 'recommendation.clicked',
    'chat.message', 'chat.message', 'room.viewed', 'error'])[1 + g %% 7] AS type) t
"""

_RAW_BASELINE = [
    # The same numbers computed from the raw events (no rollups), for the ratio.
    """SELECT payload->>'region', count(*) FROM analytics_event
       WHERE type = 'search.performed' AND (occurred_at AT TIME ZONE 'Asia/Seoul')::date BETWEEN %(f)s AND %(t)s
       GROUP BY 1""",
    """SELECT (occurred_at AT TIME ZONE 'Asia/Seoul')::date, count(*), count(DISTINCT chat_session_id),
              count(DISTINCT user_id) FROM analytics_event
       WHERE (occurred_at AT TIME ZONE 'Asia/Seoul')::date BETWEEN %(f)s AND %(t)s GROUP BY 1""",
    """SELECT count(DISTINCT user_id), count(*) FILTER (WHERE (payload->>'ran_search')::boolean) FROM analytics_event
       WHERE type = 'chat.message' AND (occurred_at AT TIME ZONE 'Asia/Seoul')::date BETWEEN %(f)s AND %(t)s""",
    """SELECT payload->>'provider', payload->>'model', sum((payload->>'input_tokens')::int),
              sum((payload->>'cost_usd')::numeric) FROM analytics_event
       WHERE type = 'chat.message' AND (occurred_at AT TIME ZONE 'Asia/Seoul')::date BETWEEN %(f)s AND %(t)s
       GROUP BY 1, 2""",
]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def bench_insights(count: int, runs: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from analytics.ingest import rollups_rebuild
    from analytics.selectors import insights_compute
    from rooms.vocabulary import GENRE_NAMES, REGION_NAMES

    users = _users(2000)
    _reset()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            _GENERATE,
            {
                "count": count, "first_user": users[0], "users": len(users),
                "regions": list(REGION_NAMES[:12]), "genres": list(GENRE_NAMES[:9]),
            },
        )  # fmt: skip
        cursor.execute("ANALYZE analytics_event")
    generated = time.perf_counter()
    rollups_rebuild()
    with connection.cursor() as cursor:  # what autovacuum does in production: stats + visibility map
        cursor.execute("VACUUM ANALYZE analytics_eventrollup")
        cursor.execute("VACUUM ANALYZE analytics_dailyactivity")
    rebuilt = time.perf_counter()
    figures = {"generate_s": generated - started, "rollup_rebuild_s": rebuilt - generated, "events": _event_count()}
    today = timezone.localdate()
    for days in (30, 365):
        day_from = today - timedelta(days=days - 1)
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            insights_compute(day_from=day_from, day_to=today)
            times.append(time.perf_counter() - began)
        raw = []
        for _ in range(max(3, runs // 10)):
            began = time.perf_counter()
            with connection.cursor() as cursor:
                for sql in _RAW_BASELINE:
                    cursor.execute(sql, {"f": day_from, "t": today})
                    cursor.fetchall()
            raw.append(time.perf_counter() - began)
        figures[f"{days}d"] = {
            "p50_ms": statistics.median(times) * 1000,
            "p95_ms": _percentile(times, 0.95) * 1000,
            "raw_baseline_p50_ms": statistics.median(raw) * 1000,
        }
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--insight-events", type=int, default=1_000_000, help="0 skips the insights part")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    _setup_django()
    print(f"cores: {os.cpu_count()}  database: {os.environ.get('EMBEDDED_DB_NAME')}")

    t = bench_throughput(args.events)
    seq = t["sequential"]
    print(f"\nthroughput, {args.events:,} events (record -> Redis buffer -> flush -> table)")
    print(f"  sequential: record {seq['record_per_s']:,.0f}/s, flush {seq['flush_per_s']:,.0f}/s, "
          f"end to end {seq['end_to_end_per_s']:,.0f}/s")  # fmt: skip
    print(f"  overlapped (2 recorder processes + 1 flusher): end to end {t['overlapped']['end_to_end_per_s']:,.0f}/s")
    print(f"  this machine now: bare Redis RPUSH {t['bare_rpush_per_s']:,.0f}/s "
          f"(record path = {seq['record_per_s'] / t['bare_rpush_per_s']:.0%} of it), load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    base = t["baseline_orm_insert_per_s"]
    print(f"  baseline, one ORM INSERT per event: {base:,.0f}/s  "
          f"(pipeline x{seq['end_to_end_per_s'] / base:.1f} sequential, "
          f"x{t['overlapped']['end_to_end_per_s'] / base:.1f} overlapped)")  # fmt: skip
    print("  target >= 5,000/s:", "met" if seq["end_to_end_per_s"] >= 5000 else "NOT met")

    if not args.insight_events:
        return 0
    i = bench_insights(args.insight_events, args.runs)
    print(f"\ninsights at {i['events']:,} events (generate {i['generate_s']:.1f} s, "
          f"rollup rebuild {i['rollup_rebuild_s']:.1f} s), {args.runs} runs each")  # fmt: skip
    for days in ("30d", "365d"):
        f = i[days]
        print(f"  {days}: p50 {f['p50_ms']:.1f} ms, p95 {f['p95_ms']:.1f} ms; raw-events baseline p50 "
              f"{f['raw_baseline_p50_ms']:.0f} ms (x{f['raw_baseline_p50_ms'] / f['p50_ms']:.0f})")  # fmt: skip
    print("  target p95 <= 200 ms:", "met" if max(i["30d"]["p95_ms"], i["365d"]["p95_ms"]) <= 200 else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
