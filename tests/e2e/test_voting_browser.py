"""Voting in a real browser: with vote.js the panel updates without a reload; without
JavaScript the same form posts and the page comes back with the vote."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from cocreate.core import db
from cocreate.designs.models import DesignProduct
from tests import factories_session
from tests.accounts.factories import PASSWORD, UserFactory
from tests.designs.factories import VotingDesignFactory
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e


def _seed(app: Flask) -> int:
    with app.app_context():
        factories_session.current = db.session()
        try:
            UserFactory(email="voter@example.test", display_name="Vera Voter")
            design = VotingDesignFactory(
                title="Harbour Lights",
                products=[DesignProduct(product="tee"), DesignProduct(product="poster")],
            )
            design_id = design.id
            db.commit()
            return design_id
        finally:
            factories_session.current = None


def _login(page: Page, url: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Email").fill("voter@example.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You are logged in.")).to_be_visible()


def test_vote_change_and_buy_without_a_reload(live_server: LiveServer, page: Page) -> None:
    design_id = _seed(live_server.app)
    _login(page, live_server.url)
    page.goto(f"{live_server.url}/designs/{design_id}")
    panel = page.locator("#vote-panel")
    expect(panel.get_by_text("appear once you have voted")).to_be_visible()
    page.evaluate("window.__sameDocument = true")

    panel.locator("label[for=vote-score-4]").click()
    expect(panel.locator("#vote-score-4")).to_be_checked()
    panel.get_by_role("button", name="Vote").click()
    expect(page.locator("#vote-panel [role=status]")).to_have_text("Your vote is saved.")
    expect(page.locator("#vote-panel")).to_contain_text("Average 4.00 out of 5")
    expect(page.locator("#vote-panel")).to_contain_text("1 vote")

    # Change it: another score, and "I'd buy it" in a poster size (choosing a size ticks it).
    panel = page.locator("#vote-panel")
    panel.locator("label[for=vote-score-2]").click()
    panel.get_by_label("Size").select_option("poster:50x70")
    expect(panel.get_by_label("I’d buy it")).to_be_checked()
    panel.get_by_role("button", name="Change my vote").click()
    expect(page.locator("#vote-panel")).to_contain_text("Average 2.00 out of 5")
    expect(page.locator("#vote-panel")).to_contain_text(
        "Your vote: 2 out of 5. You’d buy it in 50 × 70 cm (Poster)."
    )
    assert page.evaluate("window.__sameDocument") is True  # no reload at any point
    page.reload()
    expect(page.locator("#vote-panel input[name=score][value='2']")).to_be_checked()
    expect(page.locator("#vote-panel select[name=size]")).to_have_value("poster:50x70")


def test_a_refusal_is_shown_in_the_panel(live_server: LiveServer, page: Page) -> None:
    design_id = _seed(live_server.app)
    _login(page, live_server.url)
    page.goto(f"{live_server.url}/designs/{design_id}")
    panel = page.locator("#vote-panel")
    panel.locator("label[for=vote-score-5]").click()
    panel.get_by_label("I’d buy it").check()
    panel.get_by_role("button", name="Vote").click()
    expect(panel.get_by_role("alert")).to_have_text("Choose the size you would buy.")
    expect(page).to_have_url(f"{live_server.url}/designs/{design_id}")


def test_voting_without_javascript(live_server: LiveServer, browser: Browser) -> None:
    design_id = _seed(live_server.app)
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    try:
        page = context.new_page()
        _login(page, live_server.url)
        page.goto(f"{live_server.url}/designs/{design_id}")
        panel = page.locator("#vote-panel")
        panel.locator("label[for=vote-score-3]").click()
        panel.get_by_label("I’d buy it").check()
        panel.get_by_label("Size").select_option("tee:M")
        panel.get_by_role("button", name="Vote").click()
        expect(page).to_have_url(re.compile(rf"/designs/{design_id}#vote-panel$"))
        expect(page.get_by_text("Your vote is saved.").first).to_be_visible()
        expect(page.locator("#vote-panel")).to_contain_text("Average 3.00 out of 5")
        expect(page.locator("#vote-panel")).to_contain_text("You’d buy it in M (T-shirt).")
    finally:
        context.close()
