"""A designer uploads artwork in a real browser: preview, progress bar, mockups, colour picker."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import ConsoleMessage, Page, expect

from cocreate.accounts.models import User
from cocreate.core import db
from cocreate.core.db import now_utc
from tests.accounts.factories import PASSWORD_HASH
from tests.designs import corpus
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e

WATCH_PROGRESS = """
() => {
  const bar = document.querySelector("[data-progress-bar]");
  new MutationObserver(() => console.log("progress:" + bar.getAttribute("value")))
    .observe(bar, {attributes: true, attributeFilter: ["value"]});
}
"""


def _designer(app: Flask) -> None:
    with app.app_context():
        session = db.session()
        session.add(
            User(
                email="artist@example.test",
                display_name="Art Ist",
                password_hash=PASSWORD_HASH,
                email_verified_at=now_utc(),
                locale="en",
            )
        )
        db.commit()


def test_upload_with_progress_then_mockups_and_colours(
    live_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    _designer(live_server.app)
    artwork = tmp_path / "sunrise.png"
    artwork.write_bytes(corpus.encode(corpus.scene((2600, 2600)), "PNG"))
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if isinstance(message, ConsoleMessage) else None
        ),
    )

    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill("artist@example.test")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Submit a design").first.click()

    page.set_input_files("input[type=file]", str(artwork))
    expect(page.locator("[data-preview]")).to_be_visible()
    expect(page.locator("[data-file-info]")).to_contain_text("2600×2600 px")
    page.get_by_label("Title").fill("Sunrise Over Lyon")
    page.get_by_label("Tags").fill("sun, city")
    page.evaluate(WATCH_PROGRESS)
    page.get_by_role("button", name="Upload and save as draft").click()
    expect(page.locator("[data-progress]")).to_be_visible()
    expect(page.get_by_text("Your draft “Sunrise Over Lyon” is saved.")).to_be_visible(
        timeout=30_000
    )
    assert any(line == "progress:100" for line in console), console

    mockup = page.locator("#tee-mockup")
    expect(mockup).to_be_visible()
    white_src = mockup.get_attribute("src")
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("link", name="black").click()
    expect(mockup).not_to_have_attribute("src", white_src or "")
    expect(mockup).to_have_attribute("alt", re.compile("black T-shirt"))
    expect(page).to_have_url(re.compile(r"colour=black"))
    assert page.evaluate("window.__sameDocument") is True  # switched without a reload
    page.wait_for_function("document.getElementById('tee-mockup').complete")
    assert page.evaluate("document.getElementById('tee-mockup').naturalWidth") == 800


def _log_in_designer(live_server: LiveServer, page: Page) -> None:
    _designer(live_server.app)
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill("artist@example.test")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You are logged in.")).to_be_visible()


def test_too_small_image_refused_in_the_page_before_upload(
    live_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    small = tmp_path / "small.png"
    small.write_bytes(corpus.too_small())
    _log_in_designer(live_server, page)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(live_server.url + "/designs/new")
    page.set_input_files("input[type=file]", str(small))
    # A few kilobytes read as kilobytes, not "0.0 MB".
    expect(page.locator("[data-file-info]")).to_have_text(
        re.compile(r"^small\.png · 500×400 px · \d+ kB$")
    )
    tee_refusal = (
        "This image is 500×400 px; T-shirt prints need at least 2400 px on the long side. "
        "Export it again at a larger size (enlarging a small image afterwards makes a blurry "
        "print)."
    )
    expect(page.locator("[data-js-error]")).to_have_text(tee_refusal)
    page.get_by_label("Poster").check()  # the strictest product sets the size
    expect(page.locator("[data-js-error]")).to_contain_text("Poster prints need at least 3000 px")
    page.get_by_label("Poster").uncheck()
    page.get_by_label("Title").fill("Tiny")
    page.get_by_role("button", name="Upload and save as draft").click()
    expect(page.locator("[data-js-error]")).to_have_text(tee_refusal)
    expect(page).to_have_url(live_server.url + "/designs/new")
    assert posts == []  # the image never left the browser


def test_upload_form_in_french(live_server: LiveServer, page: Page, tmp_path: Path) -> None:
    small = tmp_path / "petit.png"
    small.write_bytes(corpus.too_small())
    _log_in_designer(live_server, page)
    page.goto(live_server.url + "/designs/new")
    page.get_by_role("button", name="Français").click()
    page.set_input_files("input[type=file]", str(small))
    expect(page.locator("[data-file-info]")).to_have_text(
        re.compile(r"^petit\.png · 500×400 px · \d+ ko$")
    )
    expect(page.locator("[data-js-error]")).to_contain_text("Cette image mesure 500 × 400 px")
