"""Load bench: signed-in users mixing room search, room pages, `POST /chat/` and WebSocket chats, with locust.

    .venv/bin/python bench/load.py [--users 50,200] [--spawn-rate 20] [--duration 60] [--workers N]

Serves the project as `make run` does (uvicorn, one process per core unless --workers, offline `local` provider)
on a free 127.0.0.1 port against a bench database of its own with the demo catalogue. The users are created
and their JWTs and session cookies minted first (sign-in is throttled per IP). locust runs headless, bounded
in users, spawn rate and time, once per user count. Prints, per run: requests/s, p50/p95/p99 per endpoint,
responses by status, `/healthz` as the floor measured in the same run, the targets, and each web process's
memory (RSS, PSS, USS) after the runs. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "escape_ai_load"
os.environ["EMBEDDED_DB_NAME"] = BENCH_DB
os.environ["LLM_PROVIDER"] = "local"
# The tokens are minted before the run and must outlive it.
os.environ["JWT_ACCESS_MINUTES"] = "120"

from rooms_setup import django_setup, table  # noqa: E402
from serve import serving  # noqa: E402

TARGETS = {50: (150, "every endpoint p95 ≤ 150 ms, 0 errors"), 200: (400, "p95 ≤ 400 ms, 0 responses ≥ 500")}


def prepare(users: int, path: Path) -> None:
    """The catalogue (embedded once), the users, their tokens and session cookies, written for the locustfile."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.core.management import call_command

    from accounts.models import User
    from accounts.tokens import tokens_issue
    from rooms.models import Room
    from rooms.services import rooms_embed_dirty

    call_command("seed_catalog", verbosity=0)
    while rooms_embed_dirty(batch_size=128):
        pass
    accounts = []
    for index in range(users):
        user, created = User.objects.get_or_create(
            username=f"bench_load_{index}", defaults={"email": f"bench_load_{index}@example.com"}
        )
        if created:
            user.set_password(f"bench-password-{index}")
            user.save(update_fields=["password"])
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        accounts.append({"token": tokens_issue(user=user)["access"], "session": session.session_key})
    room_ids = list(Room.objects.filter(is_active=True).values_list("id", flat=True))
    path.write_text(json.dumps({"accounts": accounts, "room_ids": room_ids}))


def locust_run(*, url: str, users: int, spawn_rate: int, duration: int, prepared: Path, out: Path) -> tuple[list, dict]:
    status_path = out.with_suffix(".status.json")
    env = {**os.environ, "LOAD_BENCH_USERS": str(prepared), "LOAD_BENCH_STATUS": str(status_path)}
    command = [
        str(Path(sys.executable).parent / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
        "--users", str(users + 1), "--spawn-rate", str(spawn_rate), "--run-time", f"{duration}s",
        "--host", url, "--csv", str(out), "--only-summary", "--stop-timeout", "30", "--loglevel", "WARNING",
    ]  # fmt: skip
    # locust's own summary goes to a log; the figures are read from its CSV.
    with out.with_suffix(".log").open("wb") as log:
        subprocess.run(command, env=env, check=False, timeout=duration + 180, stdout=log)  # noqa: S603
    with Path(f"{out}_stats.csv").open() as stats:
        rows = list(csv.DictReader(stats))
    return rows, json.loads(status_path.read_text()) if status_path.exists() else {}


def report(users: int, rows: list[dict], statuses: dict, duration: int) -> None:
    target_ms, target_text = TARGETS.get(users, (None, ""))
    lines = []
    worst = 0.0
    for row in rows:
        if row["Name"] == "Aggregated":
            continue
        p95 = float(row["95%"] or 0)
        if not row["Name"].startswith("/healthz") and row["Name"] != "chat reply":
            worst = max(worst, p95)
        lines.append(
            [
                f"{row['Type']} {row['Name']}",
                row["Request Count"],
                f"{float(row['Requests/s']):.1f}",
                row["50%"],
                row["95%"],
                row["99%"],
                row["Failure Count"],
            ]
        )
    total = next((row for row in rows if row["Name"] == "Aggregated"), None)
    print(f"\n{users} signed-in users (+1 asking /healthz), {duration}s")
    print(table(["endpoint", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "failures"], lines))
    if total:
        print(f"all: {float(total['Requests/s']):.1f} requests/s, {total['Failure Count']} failures")
    by_status: dict[str, int] = {}
    for key, count in statuses.items():
        status = key.rsplit(" ", 1)[-1]
        by_status[status] = by_status.get(status, 0) + count
    print("responses by status:", ", ".join(f"{status}: {count}" for status, count in sorted(by_status.items())))
    server_errors = sum(count for status, count in by_status.items() if status.isdigit() and int(status) >= 500)
    if target_ms is not None:
        failures = sum(int(row["Failure Count"]) for row in rows if row["Name"] != "Aggregated")
        met = worst <= target_ms and (server_errors == 0 if users == 200 else failures == 0)
        print(
            f"target ({target_text}): worst endpoint p95 {worst:.0f} ms (WS reply excluded: it is a whole answer), "
            f"{server_errors} responses ≥ 500, {failures} failures: {'met' if met else 'NOT met'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="50,200", help="user counts to run, one run each (default 50,200)")
    parser.add_argument("--spawn-rate", type=int, default=20)
    parser.add_argument("--duration", type=int, default=60, help="seconds per run")
    parser.add_argument("--workers", type=int, default=None, help="web processes (default: the number of cores)")
    args = parser.parse_args()
    counts = [int(part) for part in args.users.split(",") if part.strip()]
    if not counts or max(counts) > 1000 or args.duration > 900:
        raise SystemExit("users must be 1-1000 and duration at most 900 s")

    django_setup(BENCH_DB)
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    prepared = out_dir / "load_users.json"
    prepare(max(counts), prepared)
    env = {"JWT_ACCESS_MINUTES": "120", "METRICS_JSONL_ENABLED": "false"}
    with serving(database=BENCH_DB, workers=args.workers, env=env) as server:
        print(f"serving {server.url} with {server.workers} uvicorn workers, cores: {os.cpu_count()}")
        for users in counts:
            rows, statuses = locust_run(
                url=server.url,
                users=users,
                spawn_rate=args.spawn_rate,
                duration=args.duration,
                prepared=prepared,
                out=out_dir / f"load_{users}",
            )
            report(users, rows, statuses, args.duration)
        memory = server.memory()
    print("\nweb processes after the runs (MB; RSS counts shared pages in every process, PSS splits them):")
    print(
        table(
            ["pid", "RSS", "PSS", "USS"],
            [[row["pid"], f"{row['rss']:.0f}", f"{row['pss']:.0f}", f"{row['uss']:.0f}"] for row in memory],
        )
    )
    print(f"target ≤ 700 MB RSS per web process: {'met' if all(r['rss'] <= 700 for r in memory) else 'NOT met'}")


if __name__ == "__main__":
    main()
