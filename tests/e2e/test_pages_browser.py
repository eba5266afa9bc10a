"""The public and staff pages in a real browser: accessible (axe-core, see conftest) and usable on
a 390 px-wide phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, ViewportSize, expect

from cocreate.core import db
from cocreate.designs.models import DesignState
from tests import factories_session
from tests.accounts.factories import PASSWORD, AdminFactory, StaffFactory, UserFactory
from tests.designs.factories import DesignFactory, TagFactory, VotingDesignFactory
from tests.e2e.conftest import AxeAudit, LiveServer, assert_accessible

pytestmark = pytest.mark.e2e

PHONE: ViewportSize = {"width": 390, "height": 844}


def _seed(app: Flask) -> None:
    """21 designs open to votes (as in the report), 4 waiting for screening, and the staff."""
    with app.app_context():
        factories_session.current = db.session()
        try:
            designer = UserFactory(email="ines@example.test", display_name="Inès Moreau")
            tag = TagFactory(name="sea")
            for n in range(21):
                VotingDesignFactory(
                    designer=designer, title=f"Midnight Tide {n}", tags=[tag] if n % 2 else []
                )
            for n in range(4):
                DesignFactory(designer=designer, title=f"Waiting {n}", state=DesignState.SUBMITTED)
            StaffFactory(email="staff@example.test", display_name="Sam Staff")
            AdminFactory(email="admin@example.test", display_name="Ada Admin")
            for n in range(12):
                UserFactory(display_name=f"A rather long member name number {n}")
            db.commit()
        finally:
            factories_session.current = None


def _login(page: Page, url: str, email: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You are logged in.")).to_be_visible()


@pytest.fixture
def seeded(live_server: LiveServer) -> LiveServer:
    _seed(live_server.app)
    return live_server


@pytest.fixture
def phone(browser: Browser, axe_audit: AxeAudit) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", viewport=PHONE, device_scale_factor=1)
    context.set_default_timeout(15_000)
    axe_audit.install(context)
    page = context.new_page()
    axe_audit.watch(page)
    yield page
    axe_audit.finish(page)
    context.close()
    assert_accessible(axe_audit)


def test_axe_reports_a_violation(live_app: Flask, page: Page, axe_audit: AxeAudit) -> None:
    # Guards the audit itself: a list item with a role breaks the "list" rule (serious).
    live_app.add_url_rule(
        "/axe-probe",
        "axe_probe",
        lambda: (
            "<!doctype html><html lang=en><title>t</title><main>"
            "<ul><li role=status>Saved</li></ul></main></html>"
        ),
    )
    with LiveServer(live_app) as server:
        page.goto(server.url + "/axe-probe")
        page.evaluate("() => window.__axeAudit")
    assert axe_audit.problems() == [f"{server.url}/axe-probe: serious list on ul"]
    axe_audit.forget()  # the probe's violation was expected


def test_public_pages_as_a_visitor(seeded: LiveServer, page: Page) -> None:
    url = seeded.url
    for path in ("/", "/gallery", "/gallery?view=newest", "/tags/sea", "/gallery?q=tide"):
        page.goto(url + path)
        expect(page.locator(".design-card").first).to_be_visible()
    page.get_by_role("link", name="Midnight Tide 3").click()
    expect(page.get_by_role("heading", level=1, name="Midnight Tide 3")).to_be_visible()
    page.goto(url + "/signup")
    page.goto(url + "/login")


def test_staff_pages(seeded: LiveServer, page: Page) -> None:
    _login(page, seeded.url, "staff@example.test")  # the home page flashes "You are logged in."
    page.goto(seeded.url + "/staff/screening")
    expect(page.get_by_role("link", name="Waiting 0").first).to_be_visible()
    page.goto(seeded.url + "/staff/")


def test_admin_members_page_fits_a_phone(seeded: LiveServer, phone: Page) -> None:
    _login(phone, seeded.url, "admin@example.test")
    phone.goto(seeded.url + "/admin/users")
    expect(phone.get_by_role("heading", name="Members and roles")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def _card_tops(page: Page) -> Any:
    return page.evaluate(
        "[...document.querySelectorAll('.design-card')].slice(0, 4).map((c) => c.offsetTop)"
    )


def test_gallery_has_two_columns_on_a_phone(seeded: LiveServer, phone: Page) -> None:
    phone.goto(seeded.url + "/gallery")
    expect(phone.locator(".design-card").first).to_be_visible()
    tops = _card_tops(phone)
    assert tops[0] == tops[1] and tops[2] == tops[3] and tops[2] > tops[0], tops
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_design_page_shows_title_before_mockups_on_a_phone(seeded: LiveServer, phone: Page) -> None:
    phone.goto(seeded.url + "/gallery")
    phone.get_by_role("link", name="Midnight Tide 5").click()
    title = phone.get_by_role("heading", level=1, name="Midnight Tide 5")
    expect(title).to_be_visible()
    # The title and the state are on the first screen, above the artwork.
    box = title.bounding_box()
    assert box is not None and box["y"] + box["height"] < PHONE["height"]
    visuals = phone.locator(".design-visuals").bounding_box()
    assert visuals is not None and box["y"] < visuals["y"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


CARD_BACKGROUND = "getComputedStyle(document.querySelector('{}')).backgroundImage"


def _checker_colours(page: Page, selector: str) -> list[tuple[int, ...]]:
    css = page.evaluate(CARD_BACKGROUND.format(selector))
    stops = [tuple(map(int, m)) for m in re.findall(r"rgb\((\d+), (\d+), (\d+)\)", css)]
    return list(dict.fromkeys(stops))  # each colour spans two stops (0% 25%)


def _contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    def luminance(rgb: tuple[int, ...]) -> float:
        linear = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_previews_read_for_light_and_dark_artwork(seeded: LiveServer, page: Page) -> None:
    page.goto(seeded.url + "/gallery")
    # The default grey checkerboard: white and black artwork both stand out (3:1 at least).
    grey = _checker_colours(page, ".design-card img")
    assert grey == [(115, 115, 115), (128, 128, 128)]
    for colour in grey:
        assert _contrast(colour, (255, 255, 255)) >= 3 and _contrast(colour, (0, 0, 0)) >= 3
    switch = page.get_by_role("group", name="Artwork background:")
    expect(switch.get_by_role("button", name="Grey")).to_have_attribute("aria-pressed", "true")
    switch.get_by_role("button", name="Dark").click()
    assert _checker_colours(page, ".design-card img") == [(31, 31, 31), (44, 44, 44)]
    expect(switch.get_by_role("button", name="Dark")).to_have_attribute("aria-pressed", "true")
    page.reload()  # remembered in this browser
    assert _checker_colours(page, ".design-card img") == [(31, 31, 31), (44, 44, 44)]
    page.get_by_role("group", name="Artwork background:").get_by_role(
        "button", name="Light"
    ).click()
    assert _checker_colours(page, ".design-card img") == [(236, 234, 228), (247, 246, 242)]


def test_screening_thumbnails_are_not_on_white(seeded: LiveServer, page: Page) -> None:
    _login(page, seeded.url, "staff@example.test")
    page.goto(seeded.url + "/staff/screening")
    assert _checker_colours(page, ".screening-item img") == [(115, 115, 115), (128, 128, 128)]
    page.goto(seeded.url + "/designs/3")
    page.get_by_text("See the artwork alone").click()
    assert _checker_colours(page, ".artwork-file img") == [(115, 115, 115), (128, 128, 128)]
    page.get_by_role("button", name="Dark").click()
    assert _checker_colours(page, ".artwork-file img") == [(31, 31, 31), (44, 44, 44)]
