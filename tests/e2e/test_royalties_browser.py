"""Royalties in a real browser: a creator opens their dashboard, sees the earnings chart and
March's statement, and downloads it as CSV and PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, g
from playwright.sync_api import Page, expect

from cocreate.core import clock as clock_module
from cocreate.core import db
from cocreate.core.clock import TestClock
from tests import factories_session
from tests.e2e.conftest import LiveServer
from tests.e2e.test_shop_browser import _login
from tests.royalties.statement_factories import march
from tests.royalties.test_pages_statement import END_OF_MARCH

pytestmark = pytest.mark.e2e


def _seed(app: Flask) -> None:
    """Zoë's March 2026 (tests/royalties/statement_factories.py), seen on 31 March."""
    clock_module.install(app, TestClock(END_OF_MARCH))
    with app.test_request_context(method="POST"):
        session = db.session()
        factories_session.current = session
        try:
            march(app, session)
            db.commit()
        finally:
            factories_session.current = None
            g.pop("db_session", None)
            session.close()


def test_a_creator_reads_and_downloads_a_statement(live_server: LiveServer, page: Page) -> None:
    _seed(live_server.app)
    url = live_server.url
    _login(page, url, "zoe@example.test")

    page.get_by_role("link", name="Royalties").click()
    expect(page.get_by_role("heading", name="Your royalties")).to_be_visible()
    expect(page.locator(".balance-pending")).to_have_text("€2.09")
    expect(page.locator(".balance-cleared")).to_have_text("€1.50")
    chart = page.get_by_role("img", name="Royalties earned per month, last 12 months")
    expect(chart).to_be_visible()
    expect(chart.locator("rect")).to_have_count(12)

    page.get_by_role("link", name="March 2026").click()
    expect(page.get_by_role("heading", name="Royalty statement, March 2026")).to_be_visible()
    expect(page.locator(".statement-lines tbody tr")).to_have_count(4)
    expect(page.locator(".summary-closing td")).to_have_text("€3.59")

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download CSV").click()
    assert csv_download.value.suggested_filename == "cocreate-statement-2026-03.csv"
    data = Path(csv_download.value.path()).read_bytes()
    assert data.startswith("\ufeffDate,Type,Order".encode())
    assert b"Closing balance,,,,,,,,,,3.59," in data

    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Download PDF").click()
    assert pdf_download.value.suggested_filename == "cocreate-statement-2026-03.pdf"
    assert Path(pdf_download.value.path()).read_bytes().startswith(b"%PDF")
