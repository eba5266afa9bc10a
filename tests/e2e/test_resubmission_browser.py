"""A rejected design, revised and resubmitted in a real browser, as staff and designer see it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from alembic import command
from flask import Flask
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from cocreate.accounts.models import Role, User
from cocreate.core import db
from cocreate.core.cli import alembic_config
from cocreate.core.db import now_utc
from cocreate.designs import services
from cocreate.designs.models import DesignState
from tests.accounts.factories import PASSWORD, PASSWORD_HASH
from tests.conftest import make_test_app
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_app(tmp_path: Path) -> Flask:
    # Small print minimums keep the artwork pipeline quick; the size rules have their own tests.
    url = f"sqlite:///{tmp_path / 'e2e.sqlite3'}"
    command.upgrade(alembic_config(url), "head")
    return make_test_app(
        url, tmp_path / "uploads", extra={}, PRODUCT_MIN_LONG_SIDE={"tee": 300, "poster": 400}
    )


def _artwork() -> bytes:
    image = Image.new("RGBA", (480, 480), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((40, 40, 440, 440), fill=(30, 90, 160, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _people_and_submitted_design(app: Flask) -> int:
    with app.test_request_context():
        session = db.session()
        designer = User(
            email="artist@example.test",
            display_name="Art Ist",
            password_hash=PASSWORD_HASH,
            email_verified_at=now_utc(),
            locale="en",
        )
        staff = User(
            email="staff@example.test",
            display_name="Staff Person",
            password_hash=PASSWORD_HASH,
            email_verified_at=now_utc(),
            locale="en",
            role=Role.STAFF,
        )
        session.add_all([designer, staff])
        session.flush()
        design = services.create_design(
            session,
            app.extensions["cocreate.storage"],
            designer,
            services.DesignFields(title="Blue Moon", tags=["night"], products={"tee"}),
            _artwork(),
        )
        design.state = DesignState.SUBMITTED
        design.submitted_at = now_utc()
        db.commit()
        return design.id


def _log_in(page: Page, server: LiveServer, email: str) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("banner").get_by_role("link", name="Log in")).to_be_visible()


def test_rejected_design_revised_and_resubmitted(live_server: LiveServer, page: Page) -> None:
    design_id = _people_and_submitted_design(live_server.app)

    _log_in(page, live_server, "staff@example.test")
    page.goto(live_server.url + "/staff/screening")
    item = page.locator("article.screening-item", has_text="Blue Moon")
    item.get_by_text("Reject…").click()  # the reason field sits in a disclosure
    reason = item.get_by_label("Reason for rejecting")
    reason.fill("The moon is cut off at the edge.")
    item.get_by_role("button", name="Reject", exact=True).click()
    expect(
        page.get_by_text("“Blue Moon” is rejected; the designer has been told why.")
    ).to_be_visible()
    _log_out(page)

    _log_in(page, live_server, "artist@example.test")
    page.goto(f"{live_server.url}/designs/{design_id}")
    owner_box = page.locator("section.owner-actions")
    expect(owner_box).to_contain_text("The moon is cut off at the edge.")
    owner_box.get_by_role("button", name="Revise and resubmit").click()
    expect(page.get_by_text("“Blue Moon” is copied into a new draft")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Blue Moon")
    page.get_by_label("Title").fill("Blue Moon, whole")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Your changes are saved.")).to_be_visible()
    page.get_by_role("button", name="Submit for voting").click()
    expect(page.get_by_text("Submitted! Our team will screen it shortly")).to_be_visible()
    revision_url = page.url

    # The rejected design stays rejected and now points at its revision.
    page.goto(f"{live_server.url}/designs/{design_id}")
    expect(page.get_by_text("rejected at screening")).to_be_visible()
    page.get_by_role("link", name="See your revision").click()
    expect(page).to_have_url(revision_url)
    _log_out(page)

    _log_in(page, live_server, "staff@example.test")
    page.goto(live_server.url + "/staff/screening")
    item = page.locator("article.screening-item", has_text="Blue Moon, whole")
    expect(item).to_contain_text("Resubmission")
    expect(item).to_contain_text("Earlier reason: The moon is cut off at the edge.")
    item.get_by_role("link", name="See the rejected design").click()
    expect(page).to_have_url(f"{live_server.url}/designs/{design_id}")
    expect(page.get_by_text("The moon is cut off at the edge.")).to_be_visible()

    # Opening to votes asks for a confirmation first.
    page.goto(live_server.url + "/staff/screening")
    item = page.locator("article.screening-item", has_text="Blue Moon, whole")
    confirm = item.get_by_role("button", name="Yes, open “Blue Moon, whole” to votes")
    expect(confirm).to_be_hidden()
    item.get_by_text("Open to votes").click()
    expect(item).to_contain_text("This cannot be undone.")
    confirm.click()
    expect(page.get_by_text("“Blue Moon, whole” is open to votes.")).to_be_visible()
    expect(page.get_by_text("Nothing to screen")).to_be_visible()
