"""Memory of a web process with every ML champion serving (target ≤ 700 MB RSS per web process).

    .venv/bin/python bench/ml_memory.py [--workers 1] [--epochs 3] [--repeat 5] [--reuse]

A bench database of its own (`escape_ai_ml_memory`: the demo catalogue and activity) and an MLflow store of its
own under var/bench/: the three models are trained there by the training code (few epochs; a model that does
not win its promotion is made champion by hand and published, so that every champion serves, said in the
output). uvicorn then serves as `make run` does, on a free 127.0.0.1 port, and each worker's memory (RSS, PSS,
USS) is read after warm-up without ML (health, a room search, a room page: the Korean analyser and the sentence
encoder loaded) and again after every ML answer: the staff insights page and the trends API (trend champion),
personal recommendations and a signed-in chat turn (recommender, with its rerank), and session quality of that
chat. Each answer's model version is checked, and whether torch or SQLAlchemy (which MLflow's registry client
loads) got into the process, from /proc/<pid>/maps.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "escape_ai_ml_memory"
MLFLOW_DIR = ROOT / "var" / "bench" / "ml_memory_mlflow"
os.environ["EMBEDDED_DB_NAME"] = BENCH_DB
os.environ["LLM_PROVIDER"] = "local"
os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{MLFLOW_DIR / 'mlflow.db'}"
os.environ["MLFLOW_ARTIFACT_ROOT"] = str(MLFLOW_DIR / "artifacts")
os.environ["JWT_ACCESS_MINUTES"] = "120"

from rooms_setup import django_setup, table  # noqa: E402
from serve import serving  # noqa: E402

TARGET_MB = 700
# Native libraries in the process's memory map. MLflow is pure Python and leaves no mark there, but its
# registry client loads SQLAlchemy (whose compiled modules do); the tests check sys.modules for all three.
HEAVY = {"torch": "/torch/lib/libtorch", "sqlalchemy": "/site-packages/sqlalchemy/"}


def prepare(*, epochs: int, reuse: bool) -> dict:
    """Catalogue, activity, champions (trained here), a staff session and a player's token."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.core.management import call_command
    from django.db.models import Count

    from accounts.models import User
    from accounts.tokens import tokens_issue
    from ml import tracking
    from ml.models import ServedModel
    from ml.services import MODEL_NAMES, TrainingReport, models_train, served_models_sync
    from rooms.models import Room
    from rooms.services import rooms_embed_dirty

    call_command("seed_catalog", verbosity=0)
    while rooms_embed_dirty(batch_size=128):
        pass
    call_command("seed_activity", train=False, verbosity=0)
    served = set(ServedModel.objects.values_list("name", flat=True))
    if not (reuse and set(MODEL_NAMES) <= served):
        started = time.monotonic()
        reports = models_train(
            names=MODEL_NAMES, **{name: {"epochs": epochs, "noise_seeds": 1} for name in MODEL_NAMES}
        )
        print(f"trained {', '.join(MODEL_NAMES)} in {time.monotonic() - started:.0f} s ({epochs} epochs, one seed)")
        client = tracking.mlflow_client()
        for name, report in reports.items():
            if not isinstance(report, TrainingReport):
                raise SystemExit(f"{name}: not trained ({report})")
            if tracking.champion_version(model_name=name) is None:
                client.set_registered_model_alias(name, tracking.CHAMPION_ALIAS, report.outcome.version)
                print(f"{name}: v{report.outcome.version} did not win its promotion; made champion by hand")
        for line in served_models_sync():
            print(f"ml_publish: {line}")
    staff, _ = User.objects.get_or_create(
        username="bench_ml_staff", defaults={"email": "bench_ml_staff@example.com", "is_staff": True}
    )
    session = SessionStore()
    session[SESSION_KEY] = str(staff.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = staff.get_session_auth_hash()
    session.save()
    player = (
        User.objects.annotate(plays=Count("reviews")).filter(plays__gte=3, is_staff=False).order_by("-plays", "id")
    ).first()
    room = Room.objects.filter(is_active=True).order_by("id").first()
    return {
        "staff_session": session.session_key,
        "player": player.id,
        "token": tokens_issue(user=player)["access"],
        "room": room.id,
        "versions": dict(ServedModel.objects.values_list("name", "version")),
    }


def request(url: str, method: str, path: str, *, headers: dict | None = None, body: dict | None = None):
    """One request on a new connection: (status, parsed JSON or text)."""
    conn = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=120)
    payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    conn.request(method, path, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
    response = conn.getresponse()
    data = response.read().decode()
    conn.close()
    try:
        return response.status, json.loads(data)
    except ValueError:
        return response.status, data


def mapped(pid: int) -> list[str]:
    """Which of torch and SQLAlchemy the process has loaded (their compiled files in its memory map)."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return [name for name, marker in HEAVY.items() if marker in maps]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1, help="web processes (each is warmed and measured)")
    parser.add_argument("--epochs", type=int, default=3, help="training epochs of each model")
    parser.add_argument("--repeat", type=int, default=5, help="times each request is sent (per worker)")
    parser.add_argument("--reuse", action="store_true", help="keep the champions already published in the bench db")
    args = parser.parse_args()
    if not 1 <= args.workers <= 8 or not 1 <= args.epochs <= 50 or not 1 <= args.repeat <= 50:
        raise SystemExit("--workers 1-8, --epochs 1-50, --repeat 1-50")
    MLFLOW_DIR.mkdir(parents=True, exist_ok=True)
    django_setup(BENCH_DB)
    prepared = prepare(epochs=args.epochs, reuse=args.reuse)
    print(f"served copies: {prepared['versions']}")
    jwt = {"Authorization": f"Bearer {prepared['token']}", "Accept": "application/json"}
    staff = {"Cookie": f"sessionid={prepared['staff_session']}", "Accept": "text/html"}
    player = prepared["player"]
    sends = args.repeat * args.workers  # new connections: the kernel spreads them over the workers
    env = {"JWT_ACCESS_MINUTES": "120", "METRICS_JSONL_ENABLED": "false"}
    with serving(database=BENCH_DB, workers=args.workers, env=env) as server:
        print(f"serving {server.url} with {server.workers} uvicorn worker(s), cores: {os.cpu_count()}")
        for _ in range(sends):
            assert request(server.url, "GET", "/healthz")[0] == 200
            assert request(server.url, "GET", "/rooms/search?q=%EA%B0%95%EB%82%A8", headers=jwt)[0] == 200
            assert request(server.url, "GET", f"/rooms/{prepared['room']}/", headers={"Accept": "text/html"})[0] == 200
        warm = {row["pid"]: row for row in server.memory()}
        loaded_warm = {pid: mapped(pid) for pid in warm}
        versions = set()
        for _ in range(sends):
            status, _ = request(server.url, "GET", "/staff/insights/", headers=staff)
            assert status == 200, status
            status, trends = request(server.url, "GET", "/analytics/trends/monthly?kind=genre&months=3", headers=jwt)
            status, personal = request(server.url, "GET", f"/analytics/personalized/{player}?limit=10", headers=jwt)
            assert status == 200, personal
            status, chat = request(
                server.url, "POST", "/chat/", headers=jwt, body={"message": "강남 공포 테마 추천해줘"}
            )
            assert status in (200, 201), chat
            status, quality = request(
                server.url, "GET", f"/analytics/session-quality/{player}/{chat['session_id']}", headers=jwt
            )
            assert status == 200, quality
            versions |= {trends["model_version"], personal["model_version"], quality["model_version"]}
        after = server.memory()
        loaded_after = {row["pid"]: mapped(row["pid"]) for row in after}
    print(f"answering models: {sorted(versions)}")
    champions = {f"{name}:v{prepared['versions'][name]}" for name in ("recommender", "trends", "session_quality")}
    print(f"every champion served: {'yes' if champions <= versions else 'NO: ' + str(sorted(champions - versions))}")
    rows = []
    for row in after:
        before = warm.get(row["pid"], {"rss": float("nan")})
        rows.append(
            [
                row["pid"],
                f"{before['rss']:.0f}",
                f"{row['rss']:.0f}",
                f"{row['rss'] - before['rss']:+.0f}",
                f"{row['pss']:.0f}",
                f"{row['uss']:.0f}",
                ", ".join(loaded_after[row["pid"]]) or "none",
            ]
        )
    print("\nweb processes (MB; RSS counts shared pages in every process, PSS splits them):")
    print(
        table(
            [
                "pid",
                "RSS warm, no ML",
                "RSS, every champion served",
                "ML's share",
                "PSS",
                "USS",
                "torch / SQLAlchemy loaded",
            ],
            rows,
        )
    )
    if any(loaded_warm.values()):
        print(f"loaded before any ML request: {loaded_warm}")
    met = all(row["rss"] <= TARGET_MB for row in after) and not any(loaded_after.values())
    print(f"target ≤ {TARGET_MB} MB RSS per web process with every champion serving: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
