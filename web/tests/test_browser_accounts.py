"""Sign up, log in and out, and the preferences form, driven in headless Chromium."""

import re

import pytest
from playwright.sync_api import expect

from testing.factories import UserFactory
from web.tests.conftest import screenshot

pytestmark = pytest.mark.browser

PASSWORD = "Escape!2026"


def test_signup_errors_next_to_fields_then_signup_logout_login(new_page):
    UserFactory(username="taken", email="taken@example.com", password=PASSWORD)
    page = new_page()

    page.goto("/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    page.get_by_label("아이디").fill("taken")
    page.get_by_label("이메일").fill("new@example.com")
    page.get_by_label("비밀번호", exact=True).fill(PASSWORD)
    page.get_by_label("비밀번호 확인").fill("Mismatch!2026")
    page.get_by_role("button", name="가입하기").click()

    username = page.get_by_label("아이디")
    expect(username).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_username_error")).to_have_text(re.compile("이미 사용 중인 아이디"))
    expect(page.locator("#id_password_confirm_error")).to_have_text(re.compile("비밀번호가 서로 다릅니다"))
    screenshot(page, "signup-errors")

    page.get_by_label("아이디").fill("jisoo")
    page.get_by_label("비밀번호", exact=True).fill(PASSWORD)
    page.get_by_label("비밀번호 확인").fill(PASSWORD)
    page.get_by_role("button", name="가입하기").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status").first).to_contain_text("가입을 환영해요")

    page.get_by_role("button", name="로그아웃").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="로그인")).to_be_visible()

    page.goto("/login/")
    page.get_by_label("아이디").fill("jisoo")
    page.get_by_label("비밀번호").fill("wrong-password")
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("alert")).to_contain_text("아이디 또는 비밀번호가 올바르지 않습니다")
    screenshot(page, "login-error")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("link", name="내 정보")).to_be_visible()


def test_keyboard_only_login_with_visible_focus(new_page):
    UserFactory(username="minji", email="minji@example.com", password=PASSWORD)
    page = new_page()

    page.goto("/signup/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="본문 바로가기")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # hidden off-screen until focused

    page.goto("/login/")
    username = page.get_by_label("아이디")
    expect(username).to_be_focused()  # autofocus: the form is ready to type into
    page.keyboard.type("minji")
    page.keyboard.press("Tab")
    password = page.get_by_label("비밀번호")
    expect(password).to_be_focused()
    focus_ring = password.evaluate("el => getComputedStyle(el).boxShadow")
    assert focus_ring not in ("", "none")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="내 정보")).to_be_visible()
