"""A live ASGI server (uvicorn in a subprocess, test settings) on the test database, for tests that need real
HTTP on loopback: the browser tests, the schemathesis run and the generated-client test.

pytest-django's `live_server` is WSGI-only and cannot serve /ws/chat/. Tests that use this server need
`transactional_db`, so that what they create is committed and visible to it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

# Each server process loads the Korean analyser and the encoder before it serves: seconds, more on a busy machine.
SERVER_START_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(test_db_name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "escape_ai.settings.test",
        "WHITENOISE_USE_FINDERS": "true",
        **(extra or {}),
    }
    # Same database server, but the test database pytest-django created.
    if env.get("DATABASE_URL"):
        parts = urlsplit(env["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + test_db_name))
    else:
        env["EMBEDDED_DB_NAME"] = test_db_name
    return env


def _wait_until_serving(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url + "/login/", timeout=2) as response:  # noqa: S310 (loopback only)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"uvicorn did not answer within {SERVER_START_TIMEOUT_S} s:\n{log_path.read_text()[-4000:]}")


@contextlib.contextmanager
def asgi_server_running(*, log_name: str, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """The base URL of uvicorn serving escape_ai.asgi on a free loopback port, on the test database."""
    from django.db import connection

    port = free_port()
    log_path = Path(settings.BASE_DIR) / "var" / "log" / f"{log_name}-uvicorn.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [
                sys.executable,
                "-m",
                "uvicorn",
                "escape_ai.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
                "--log-level",
                "warning",
            ],
            cwd=settings.BASE_DIR,
            env=server_env(connection.settings_dict["NAME"], extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process, log_path)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
