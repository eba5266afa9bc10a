"""A real browser signs up, confirms the email through the outbox, logs out and in again."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e

PASSWORD = "a long enough passphrase"


def test_signup_verify_login_logout(live_server: LiveServer, page: Page) -> None:
    p = page
    p.goto(live_server.url + "/")
    p.get_by_role("link", name="Sign up").first.click()
    p.get_by_label("Email").fill("browser@example.test")
    p.get_by_label("Display name").fill("Browser Bea")
    p.get_by_label("Password").fill(PASSWORD)
    p.get_by_role("button", name="Create my account").click()
    expect(p.get_by_text("Welcome, Browser Bea!")).to_be_visible()
    expect(p.get_by_text("Please confirm your email address")).to_be_visible()

    p.goto(live_server.url + "/dev/outbox")
    link = p.locator("a[href*='/verify/']").first
    href = link.get_attribute("href")
    assert href and href.startswith(live_server.url)
    p.goto(href)
    expect(p.get_by_text("browser@example.test is confirmed")).to_be_visible()
    expect(p.get_by_text("Please confirm your email address")).to_have_count(0)

    p.get_by_role("button", name="Log out").click()
    expect(p.get_by_text("You are logged out.")).to_be_visible()

    p.get_by_role("link", name="Log in").first.click()
    p.get_by_label("Email").fill("browser@example.test")
    p.get_by_label("Password").fill(PASSWORD)
    p.get_by_role("button", name="Log in").click()
    expect(p.get_by_text("You are logged in.")).to_be_visible()
    expect(p.get_by_role("link", name="Browser Bea")).to_be_visible()


def test_language_switcher(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page).to_have_url(live_server.url + "/login")
    expect(page.get_by_role("heading", name="Se connecter")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
