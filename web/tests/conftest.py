"""Browser-test fixtures: a live ASGI server (HTTP and WebSockets, testing/live_server.py) on the test
database, and Chromium. Tests use `transactional_db` so that what they create is committed and visible to
that server; the table flush after each test cleans it up.
"""

from __future__ import annotations

import contextlib
import os
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from testing.live_server import asgi_server_running

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


def _warm_up(url: str) -> None:
    request = urllib.request.Request(url + "/rooms/?q=%EA%B3%B5%ED%8F%AC", headers={"Accept": "text/html"})  # noqa: S310
    # Only an optimisation: if it fails the tests still work, more slowly.
    with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        response.read()


@pytest.fixture(scope="session")
def asgi_server(django_db_setup, django_db_blocker) -> Iterator[str]:
    """The base URL of uvicorn serving escape_ai.asgi on a free loopback port, on the test database."""
    with asgi_server_running(log_name="browser-tests") as url:
        # The server's first search loads the Korean analyser and the sentence encoder (seconds); start
        # that now, in the background, while the tests build their data.
        threading.Thread(target=_warm_up, args=(url,), daemon=True).start()
        yield url


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
