"""The community loop in a real browser: a member votes, changes the vote, ticks "I'd buy it"
with a size and comments; the designer then logs in and finds the notification."""

from __future__ import annotations

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
            UserFactory(email="vera@example.test", display_name="Vera Voter")
            designer = UserFactory(email="dana@example.test", display_name="Dana Designer")
            design = VotingDesignFactory(
                title="Harbour Lights",
                designer=designer,
                products=[DesignProduct(product="tee")],
            )
            design_id = design.id
            db.commit()
            return design_id
        finally:
            factories_session.current = None


def _login(page: Page, url: str, email: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You are logged in.")).to_be_visible()


def test_member_votes_and_comments_and_the_designer_is_told(
    live_server: LiveServer, browser: Browser
) -> None:
    design_id = _seed(live_server.app)
    design_url = f"{live_server.url}/designs/{design_id}"

    voter = browser.new_context().new_page()
    _login(voter, live_server.url, "vera@example.test")
    voter.goto(design_url)
    panel = voter.locator("#vote-panel")
    panel.locator("label[for=vote-score-3]").click()
    panel.get_by_role("button", name="Vote").click()
    expect(voter.locator("#vote-panel [role=status]")).to_have_text("Your vote is saved.")
    expect(voter.locator("#vote-panel")).to_contain_text("Average 3.00 out of 5")

    panel = voter.locator("#vote-panel")
    panel.locator("label[for=vote-score-5]").click()
    panel.get_by_label("I’d buy it").check()
    panel.get_by_label("Size").select_option("tee:M")
    panel.get_by_role("button", name="Change my vote").click()
    expect(voter.locator("#vote-panel")).to_contain_text("Average 5.00 out of 5")
    expect(voter.locator("#vote-panel")).to_contain_text(
        "Your vote: 5 out of 5. You’d buy it in M (T-shirt)."
    )
    expect(voter.locator("#vote-panel")).to_contain_text("1 vote")

    voter.get_by_label("Your comment").fill("Love the colours, see https://example.org/ref.")
    voter.get_by_role("button", name="Post the comment").click()
    comment = voter.locator(".discussion .comment").first
    expect(comment).to_contain_text("Vera Voter")
    expect(comment.get_by_role("link", name="https://example.org/ref")).to_have_attribute(
        "rel", "nofollow ugc noopener"
    )
    voter.context.close()

    designer = browser.new_context().new_page()
    _login(designer, live_server.url, "dana@example.test")
    nav_link = designer.get_by_role("link", name="Notifications (1 unread)")
    expect(nav_link).to_be_visible()
    nav_link.click()
    told = "Vera Voter commented on your design “Harbour Lights”."
    expect(designer.get_by_text(told)).to_be_visible()
    # The designer sees the buy intent by size on their own design.
    designer.goto(design_url)
    expect(designer.locator("#vote-panel .buy-intent tbody tr")).to_have_text(["T-shirtM1"])
    expect(designer.locator("#vote-panel")).to_contain_text("1 vote")
    designer.context.close()
