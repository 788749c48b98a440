"""A real Celery worker subprocess on the test database, RabbitMQ and Redis, shared by the tests that need one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from analytics.queues import dead_letter_queue, events_queue
from escape_ai.settings.paths import BASE_DIR, VAR_DIR


def _worker_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "escape_ai.settings.test",
        "ANALYTICS_EVENTS_WORKER": "true",
        **extra,
    }
    # pytest-django created `test_<name>`: the worker must use that database, not the development one.
    test_db = connection.settings_dict["NAME"]
    if os.environ.get("DATABASE_URL"):
        parts = urlsplit(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{test_db}"))
    else:
        env["EMBEDDED_DB_NAME"] = test_db
    return env


class CeleryWorker:
    """The events worker (`celery -A escape_ai worker -P solo`) in its own process group, so SIGKILL hits it."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.log_path = Path(VAR_DIR) / "log" / "analytics-test-worker.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)

    def start(self, **extra_env: str) -> None:
        assert self.process is None
        self.hostname = f"analytics-test-{uuid.uuid4().hex[:8]}@%h"
        self.log = self.log_path.open("ab")
        offset = self.log_path.stat().st_size
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "escape_ai", "worker", "-P", "solo", "-n", self.hostname,
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
            cwd=BASE_DIR, env=_worker_env(**extra_env), stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                if b" ready." in log.read():
                    return
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}, see {self.log_path}")
            time.sleep(0.1)
        raise RuntimeError(f"worker not ready in 60 s, see {self.log_path}")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._forget()

    def stop(self) -> None:
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._forget()

    def _forget(self) -> None:
        self.process = None
        self.log.close()


def _purge_queues() -> None:
    from escape_ai.celery import app

    with app.connection_for_write() as conn, conn.channel() as channel:
        for queue in (events_queue(), dead_letter_queue()):
            bound = queue(channel)
            bound.declare()
            bound.purge()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """One worker for the session (stopped before the test database is dropped)."""
    with django_db_blocker.unblock():
        _purge_queues()
        worker = CeleryWorker()
        worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def worker(celery_worker_process, transactional_db):
    # transactional_db: rows are committed, so the worker's own connection sees them.
    if celery_worker_process.process is None:
        celery_worker_process.start()
    return celery_worker_process


@pytest.fixture
def metrics_jsonl_dir(settings, tmp_path):
    settings.METRICS_JSONL_DIR = str(tmp_path / "metrics")
    return tmp_path / "metrics"


@pytest.fixture(scope="session", autouse=True)
def _forget_dead_processes_metrics():
    """Multiprocess metric files of earlier test runs' dead processes would pile up run after run."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    for path in directory.glob("*_*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
        except PermissionError:
            continue
