"""Browser-test fixtures: a live ASGI server (HTTP and WebSockets) on the test database, and Chromium.

pytest-django's `live_server` is WSGI-only and cannot serve /ws/chat/, so uvicorn runs in a subprocess
with the test settings, pointed at the test database. Tests use `transactional_db` so that what they
create is committed and visible to that server; the table flush after each test cleans it up.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

SCREENSHOT_DIR = Path(settings.BASE_DIR) / "var" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVER_START_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(test_db_name: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "escape_ai.settings.test", "WHITENOISE_USE_FINDERS": "true"}
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


def _warm_up(url: str) -> None:
    request = urllib.request.Request(url + "/rooms/?q=%EA%B3%B5%ED%8F%AC", headers={"Accept": "text/html"})  # noqa: S310
    # Only an optimisation: if it fails the tests still work, more slowly.
    with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        response.read()


@pytest.fixture(scope="session")
def asgi_server(django_db_setup, django_db_blocker) -> Iterator[str]:
    """The base URL of uvicorn serving escape_ai.asgi on a free loopback port, on the test database."""
    from django.db import connection

    test_db_name = connection.settings_dict["NAME"]
    port = _free_port()
    log_path = Path(settings.BASE_DIR) / "var" / "log" / "browser-tests-uvicorn.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        process = subprocess.Popen(
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
            env=_server_env(test_db_name),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process, log_path)
        # The server's first search loads the Korean analyser and the sentence encoder (seconds); start
        # that now, in the background, while the tests build their data.
        threading.Thread(target=_warm_up, args=(url,), daemon=True).start()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module.

    Playwright's sync API parks a running asyncio loop in this thread while it is started, so Django
    would take the test's own ORM calls for calls from async code. The check is lifted only in this
    process and only while Playwright runs (the server process keeps it), and Playwright stops at the
    end of each module so no other test ever runs beside that loop.
    """
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class PageErrors(list):
    """JavaScript errors and failed same-site requests seen by a page; a test ends with none."""


def _console_error(message, errors: PageErrors) -> None:
    # A 4xx page (a rejected form answers 400/401) is logged by Chromium as a failed resource: expected.
    if message.type == "error" and "status of 4" not in message.text:
        errors.append(f"console.error: {message.text}")


@pytest.fixture
def new_page(browser, asgi_server, transactional_db):
    """A factory of pages in fresh browser contexts (own cookies), at a given viewport width."""
    contexts = []
    errors = PageErrors()

    def make(width: int = 1280, height: int = 860):
        context = browser.new_context(
            base_url=asgi_server, viewport={"width": width, "height": height}, locale="ko-KR", timezone_id="Asia/Seoul"
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: _console_error(msg, errors))
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
        return page

    yield make
    for context in contexts:
        context.close()
    assert list(errors) == [], errors


def screenshot(page, name: str) -> Path:
    """Every run keeps a picture of each page it visits under var/screenshots/."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    # From the top: a full-page picture taken while scrolled shows the sticky header mid-page.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)
    return path
