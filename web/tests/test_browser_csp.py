"""Every kind of page works under the Content-Security-Policy: Chromium reports no violation.

A violation (an inline script or style, a resource from another origin) is a console error, which the
`new_page` fixture fails the test on. The pages, the admin and the API docs are all visited, as a member and
as staff.
"""

import pytest
from playwright.sync_api import expect

from testing.factories import UserFactory, small_catalogue_build

pytestmark = pytest.mark.browser

PASSWORD = "Escape!2026"


def _violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


def _watch(page) -> None:
    page.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )


def test_pages_admin_and_api_docs_run_under_the_csp(new_page):
    rooms = small_catalogue_build(embed=False)
    room = next(iter(rooms.values()))
    UserFactory(username="boss", email="boss@example.com", password=PASSWORD, is_staff=True, is_superuser=True)
    page = new_page()
    _watch(page)

    response = page.goto("/login/")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    page.get_by_label("아이디").fill("boss")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page.locator("#chat-input")).to_be_visible()
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")  # the socket connects under the CSP

    for path in ("/rooms/", f"/rooms/{room.id}/", "/me/", "/staff/insights/", "/signup/"):
        page.goto(path)
        assert _violations(page) == [], path

    page.goto("/admin/")
    expect(page.locator("#site-name")).to_be_visible()
    for path in ("/admin/rooms/room/", f"/admin/rooms/room/{room.id}/change/", "/admin/accounts/user/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert _violations(page) == [], path

    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("방탈출 AI API", timeout=20_000)
    assert _violations(page) == [], "/api/docs/"
