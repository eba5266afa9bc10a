"""Staff approve a closed design with the suggested quantities, take its run to stock, download
the print pack, and the design shows as on sale: in a real browser."""

from __future__ import annotations

import io
import zipfile
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
from cocreate.voting.models import DesignIntent
from tests.accounts.factories import PASSWORD, PASSWORD_HASH
from tests.conftest import make_test_app
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_app(tmp_path: Path) -> Flask:
    url = f"sqlite:///{tmp_path / 'e2e.sqlite3'}"
    command.upgrade(alembic_config(url), "head")
    return make_test_app(url, tmp_path / "uploads", extra={}, PRODUCT_MIN_LONG_SIDE={"tee": 300})


def _artwork() -> bytes:
    image = Image.new("RGBA", (480, 480), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((60, 60, 420, 420), fill=(200, 60, 40, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _closed_design_with_intent(app: Flask) -> int:
    with app.test_request_context():
        session = db.session()
        designer = User(
            email="artist@example.test",
            display_name="Art Ist",
            password_hash=PASSWORD_HASH,
            email_verified_at=now_utc(),
        )
        staff = User(
            email="staff@example.test",
            display_name="Staff Person",
            password_hash=PASSWORD_HASH,
            email_verified_at=now_utc(),
            role=Role.STAFF,
        )
        session.add_all([designer, staff])
        session.flush()
        design = services.create_design(
            session,
            app.extensions["cocreate.storage"],
            designer,
            services.DesignFields(title="Red Square", tags=["bold"], products={"tee"}),
            _artwork(),
        )
        design.state = DesignState.CLOSED
        session.add_all(
            [
                DesignIntent(design_id=design.id, product="tee", size="M", count=12),
                DesignIntent(design_id=design.id, product="tee", size="L", count=6),
            ]
        )
        db.commit()
        return design.id


def test_approve_to_stock_to_print_pack(live_server: LiveServer, page: Page) -> None:
    design_id = _closed_design_with_intent(live_server.app)
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill("staff@example.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto(f"{live_server.url}/designs/{design_id}")
    page.get_by_role("link", name="Approve for production…").click()
    # 12 × 1.5 = 18 M and 6 × 1.5 = 9 L: 27, above the tee minimum of 24.
    expect(page.get_by_label("white, size M")).to_have_value("18")
    expect(page.get_by_label("white, size L")).to_have_value("9")
    expect(page.get_by_text("Total: 27 units")).to_be_visible()
    page.get_by_role("button", name="Approve and plan the run").click()
    expect(page.get_by_text("“Red Square” is approved: run")).to_be_visible()

    page.on("dialog", lambda dialog: dialog.accept())  # the buttons' confirmations
    page.get_by_role("button", name="Mark as printing").click()
    expect(page.get_by_text("is printing.")).to_be_visible()
    page.get_by_role("button", name="Mark as in stock").click()
    expect(page.get_by_text("is in stock.")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the print pack").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-print-pack.zip")
    archive = zipfile.ZipFile(download.path())
    assert "variants.csv" in archive.namelist()
    assert archive.read("variants.csv").decode().count("\r\n") == 3  # header and two sizes

    page.get_by_role("link", name="See the design").click()
    expect(page.locator(".design-head")).to_contain_text("on sale")
