"""The whole loop in a real browser, as each kind of user lives it (issue #19).

A designer signs up, confirms the email and submits a design; staff screen it into voting; five
members vote and comment; the window closes; staff approve a run and put it in stock; a customer
buys two tees; staff ship the order and refund one; the return window passes, the month is
closed, and the designer reads the statement and its CSV. Time moves through the app's test clock
(`cocreate.core.clock`), never by sleeping; the scheduled commands run through the CLI runner,
which reads the same clock.

Every page every actor loads is audited by axe-core (tests/e2e/conftest.py). Each step saves a
1280×800 screenshot under tests/e2e/screenshots/ (git-ignored); the README's pictures in
docs/screenshots/ are picked from them by docs/screenshots/refresh.py.
"""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, ViewportSize, expect

from cocreate.core import db
from cocreate.core.clock import TestClock, install
from cocreate.demo.artwork import generate_artwork
from tests import factories_session
from tests.accounts.factories import PASSWORD, StaffFactory, UserFactory
from tests.e2e.conftest import AxeAudit, LiveServer

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).parent / "screenshots"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}

#: Monday 2 March 2026, 09:00 UTC: every rule the journey crosses (voting window, sessions,
#: checkout hold, return window) reads this clock.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
#: Seeded members joined long before: a burst of votes from brand-new accounts is what the
#: integrity checks flag, and these five are not that.
JOINED = START - timedelta(days=120)

TITLE = "Harbour Sunset"
DESIGNER_EMAIL = "nora@example.test"
DESIGNER_PASSWORD = "a long enough passphrase"
STAFF_EMAIL = "sam@example.test"
CUSTOMER_EMAIL = "cleo@example.test"

#: The five voters: (email, name, score, size they would buy or None, comment or None).
VOTERS = [
    ("ada@example.test", "Ada", 5, "tee:M", "The gradient on the sun is lovely."),
    ("ben@example.test", "Ben", 4, "tee:M", None),
    ("chloe@example.test", "Chloé", 5, "tee:L", "I would wear this all summer."),
    ("dev@example.test", "Dev", 3, None, "Nice, though the stripes feel busy at this size."),
    ("eli@example.test", "Eli", 4, None, None),
]


class Actors:
    """One browser context per person, each audited by axe-core, all at a 1280×800 viewport."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.browser = browser
        self.url = url
        self.problems: list[str] = []
        self._open: dict[int, tuple[Page, AxeAudit]] = {}

    def open(self) -> Page:
        context = self.browser.new_context(locale="en-GB", viewport=VIEWPORT)
        context.set_default_timeout(15_000)
        audit = AxeAudit()
        audit.install(context)
        page = context.new_page()
        audit.watch(page)
        self._open[id(page)] = (page, audit)
        return page

    def log_in(self, email: str, password: str = PASSWORD) -> Page:
        page = self.open()
        page.goto(self.url + "/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_text("You are logged in.")).to_be_visible()
        return page

    def leave(self, page: Page) -> None:
        """Close this person's browser once the audit of every page they loaded is in."""
        _page, audit = self._open.pop(id(page))
        audit.finish(page)
        page.context.close()
        self.problems += audit.problems()

    def leave_all(self) -> None:
        for page, _audit in list(self._open.values()):
            self.leave(page)


def shot(page: Page, name: str) -> None:
    """The top of the page as the person first sees it, once it has loaded (no focus ring)."""
    page.wait_for_load_state("load")
    page.evaluate("document.activeElement?.blur(); window.scrollTo(0, 0)")
    page.screenshot(path=SCREENSHOTS / f"{name}.png", animations="disabled")


def _seed(app: Flask) -> None:
    """Staff, five confirmed members who joined months ago, and a customer."""
    with app.app_context():
        factories_session.current = db.session()
        try:
            StaffFactory(email=STAFF_EMAIL, display_name="Sam Staff", created_at=JOINED)
            for email, name, *_rest in VOTERS:
                UserFactory(email=email, display_name=name, created_at=JOINED)
            UserFactory(email=CUSTOMER_EMAIL, display_name="Cleo Customer", created_at=JOINED)
            db.commit()
        finally:
            factories_session.current = None


@pytest.fixture
def clock(live_server: LiveServer) -> TestClock:
    test_clock = TestClock(START)
    install(live_server.app, test_clock)
    return test_clock


@pytest.fixture
def actors(live_server: LiveServer, browser: Browser) -> Iterator[Actors]:
    SCREENSHOTS.mkdir(exist_ok=True)
    people = Actors(browser, live_server.url)
    yield people
    people.leave_all()
    problems = people.problems
    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)


def _artwork(tmp_path: Path) -> Path:
    """A 2400 px tee emblem drawn with Pillow: the smallest long side a tee print accepts."""
    path = tmp_path / "harbour-sunset.png"
    rng = random.Random(25)  # a palette with dark ink, which reads on the white tee
    path.write_bytes(generate_artwork(rng, "sunset", size=2400, title=TITLE, transparent=True))
    return path


def run_cli(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_the_whole_loop(
    live_server: LiveServer, clock: TestClock, actors: Actors, tmp_path: Path
) -> None:
    app, url = live_server.app, live_server.url
    _seed(app)

    # 1. A designer signs up through the real form, confirms the email from the link in it,
    #    uploads a design and submits it.
    designer = actors.open()
    designer.goto(url + "/")
    shot(designer, "01-home")
    designer.get_by_role("link", name="Sign up").first.click()
    designer.get_by_label("Email").fill(DESIGNER_EMAIL)
    designer.get_by_label("Display name").fill("Nora Designer")
    designer.get_by_label("Password").fill(DESIGNER_PASSWORD)
    designer.get_by_role("button", name="Create my account").click()
    expect(designer.get_by_text("Welcome, Nora Designer!")).to_be_visible()

    designer.goto(url + "/dev/outbox")
    verify = designer.locator("a[href*='/verify/']").first
    expect(verify).to_be_visible()
    designer.goto(verify.get_attribute("href") or "")
    expect(designer.get_by_text(f"{DESIGNER_EMAIL} is confirmed")).to_be_visible()

    designer.get_by_role("link", name="Submit a design").first.click()
    designer.set_input_files("input[type=file]", str(_artwork(tmp_path)))
    expect(designer.locator("[data-file-info]")).to_contain_text("2400×2400 px")
    designer.get_by_label("Title").fill(TITLE)
    designer.get_by_label("Description").fill("A retro sun going down over the old harbour.")
    designer.get_by_label("Tags").fill("sunset, retro, sea")
    shot(designer, "02-designer-upload")
    designer.get_by_role("button", name="Upload and save as draft").click()
    expect(designer.get_by_text(f"Your draft “{TITLE}” is saved.")).to_be_visible(timeout=30_000)
    expect(designer.locator("#tee-mockup")).to_be_visible()
    designer.wait_for_function("document.getElementById('tee-mockup').complete")
    design_url = designer.url
    design_id = int(design_url.rsplit("/", 1)[1])
    shot(designer, "03-designer-draft-mockups")
    designer.get_by_role("button", name="Submit for voting").click()
    expect(designer.get_by_text("Submitted! Our team will screen it shortly")).to_be_visible()
    expect(designer.locator(".design-head")).to_contain_text("waiting for screening")

    # 2. Staff screen it into voting: the window is VOTING_DAYS (7) from the clock's now.
    staff = actors.log_in(STAFF_EMAIL)
    staff.goto(url + "/staff/screening")
    item = staff.locator(".screening-item").filter(has_text=TITLE)
    expect(item).to_contain_text("by Nora Designer")
    expect(item).to_contain_text("2400×2400 px")
    shot(staff, "04-staff-screening")
    item.get_by_text("Open to votes").click()
    item.get_by_role("button", name=f"Yes, open “{TITLE}” to votes").click()
    expect(staff.get_by_text(f"“{TITLE}” is open to votes.")).to_be_visible()
    actors.leave(staff)

    # 3. Five members vote through the panel; three would buy it (M, M, L); three comment.
    for index, (email, name, score, size, comment) in enumerate(VOTERS):
        voter = actors.log_in(email)
        if index == 0:  # the first finds it in the gallery, under "voting now"
            voter.get_by_role("link", name="Gallery").first.click()
            card = voter.locator(".design-card").filter(has_text=TITLE)
            shot(voter, "05-gallery")
            card.get_by_role("link", name=TITLE).first.click()
            expect(voter).to_have_url(design_url)
        else:
            voter.goto(design_url)
        panel = voter.locator("#vote-panel")
        panel.locator(f"label[for=vote-score-{score}]").click()
        if size:
            panel.get_by_label("I’d buy it").check()
            panel.get_by_label("Size").select_option(size)
        panel.get_by_role("button", name="Vote").click()
        expect(panel.locator("[role=status]")).to_have_text("Your vote is saved.")
        expect(panel).to_contain_text(f"{index + 1} vote")
        if comment:
            voter.get_by_label("Your comment").fill(comment)
            voter.get_by_role("button", name="Post the comment").click()
            expect(voter.locator(".discussion .comment").filter(has_text=comment)).to_contain_text(
                name
            )
        if index == 0:
            voter.goto(design_url)
            shot(voter, "06-member-votes")
        actors.leave(voter)
    # 5 + 4 + 5 + 3 + 4 = 21 over 5 votes.
    designer.goto(design_url)
    expect(designer.locator("#vote-panel")).to_contain_text("Average 4.20 out of 5")
    expect(designer.locator("#vote-panel .buy-intent tbody tr")).to_have_text(
        ["T-shirtM2", "T-shirtL1"]
    )
    expect(designer.locator(".discussion .comment")).to_have_count(3)
    shot(designer, "07-designer-sees-votes")

    # 4. The window closes: 7 days and a minute later, the scheduled command closes it.
    clock.advance(timedelta(days=7, minutes=1))
    assert "Closed voting on 1 design(s)." in run_cli(app, "voting", "close-expired")
    designer.goto(design_url)  # a day-long browser session has ended by now: read as a visitor
    expect(designer.locator("#vote-panel h2")).to_have_text("Voting results")
    expect(designer.locator(".design-head")).to_contain_text("voting closed")
    shot(designer, "08-voting-results")

    # 5. Staff approve a run with the suggested quantities, then print it and stock it.
    #    Suggestion (PRODUCTION_CONVERSION_FACTOR 1.5, tee minimum 24): M ⌈2 × 1.5⌉ = 3 and
    #    L ⌈1 × 1.5⌉ = 2 make 5; the 19 short are shared 2 : 1 → 12.67 and 6.33, floors 12 + 6
    #    and the unit left to the larger remainder (M): M 3 + 13 = 16, L 2 + 6 = 8, in white
    #    (the tee's first colour).
    staff = actors.log_in(STAFF_EMAIL)
    staff.goto(design_url)
    staff.get_by_role("link", name="Approve for production…").click()
    expect(staff.get_by_label("white, size M")).to_have_value("16")
    expect(staff.get_by_label("white, size L")).to_have_value("8")
    expect(staff.get_by_text("Total: 24 units")).to_be_visible()
    expect(staff.get_by_label("Retail price (EUR)")).to_have_value("25.00")
    shot(staff, "09-staff-approve-run")
    staff.get_by_role("button", name="Approve and plan the run").click()
    expect(staff.get_by_text(f"“{TITLE}” is approved: run")).to_be_visible()
    staff.on("dialog", lambda dialog: dialog.accept())  # the buttons' confirmations
    staff.get_by_role("button", name="Mark as printing").click()
    expect(staff.get_by_text("is printing.")).to_be_visible()
    staff.get_by_role("button", name="Mark as in stock").click()
    expect(staff.get_by_text("is in stock.")).to_be_visible()
    shot(staff, "10-staff-run-in-stock")

    # 6. A customer buys two tees (white M and white L) and pays with the demo gateway.
    # The catalogue's tee price, VAT included, and France's VAT rate (the address below).
    unit_price, vat_rate = "€25.00", "20%"
    customer = actors.log_in(CUSTOMER_EMAIL)
    customer.goto(url + "/shop")
    card = customer.locator(".product-card").filter(has_text=TITLE)
    expect(card).to_contain_text(f"from {unit_price}")
    shot(customer, "11-shop")
    card.get_by_role("link", name=TITLE).click()
    expect(customer.get_by_role("heading", name=TITLE)).to_be_visible()
    shot(customer, "12-product")
    for size in ("M", "L"):
        customer.locator(".size-picker label").filter(has_text=re.compile(rf"^\s*{size}\b")).click()
        customer.get_by_role("button", name="Add to cart").click()
        expect(customer.get_by_role("heading", name="Your cart")).to_be_visible()
        if size == "M":
            customer.go_back()
    expect(customer.locator(".cart-table tbody tr")).to_have_count(2)
    expect(customer.locator(".cart-total")).to_have_text("€50.00")
    shot(customer, "13-cart")
    customer.get_by_role("link", name="Check out").click()
    customer.get_by_label("Full name").fill("Cleo Customer")
    customer.get_by_label("Address", exact=True).fill("12 rue des Lilas")
    customer.get_by_label("Postcode").fill("69003")
    customer.get_by_label("City").fill("Lyon")
    customer.get_by_label("Country").select_option("FR")  # 20 % VAT, 4.90 shipping
    expect(customer.locator(".total")).to_have_text("€54.90")
    shot(customer, "14-checkout")
    customer.get_by_role("button", name="Continue to payment").click()
    expect(customer.get_by_role("heading", name="Demo payment")).to_be_visible()
    customer.get_by_role("button", name="Pay (succeeds)").click()
    heading = customer.get_by_role("heading", name=re.compile(r"^Order "))
    expect(heading).to_be_visible()
    order_number = (heading.text_content() or "").removeprefix("Order ").strip()
    order_url = customer.url
    expect(customer.locator(".badge")).to_have_text("paid")
    expect(customer.locator(".order-lines .total")).to_have_text("€54.90")
    shot(customer, "15-order-paid")

    # 7. Staff ship the order, then refund the L tee (one unit).
    staff.goto(url + "/staff/orders")
    staff.get_by_label("Number or email").fill(order_number)
    staff.get_by_role("button", name="Search").click()
    staff.get_by_role("link", name=order_number).click()
    staff.get_by_label("Tracking number").fill("6A12345678901")
    staff.get_by_role("button", name="Mark as shipped").click()
    expect(staff.get_by_text(f"Order {order_number} is marked shipped.")).to_be_visible()
    # Each line's net and VAT, what a royalty is a share of: 25.00 / 1.20 = 20.83 + 4.17.
    sku = f"D{design_id:05d}-TEE-WHITE-L"
    expect(staff.locator(".order-lines")).to_contain_text(
        f"{sku} · net €20.83, VAT {vat_rate} €4.17"
    )
    staff.get_by_label(re.compile(r"white, L, €25\.00$")).fill("1")
    staff.get_by_label("Reason").fill("Seam came undone")
    staff.get_by_role("button", name="Refund these units").click()
    expect(staff.locator(".refund-list")).to_contain_text("€25.00 refunded")
    expect(staff.locator(".badge")).to_have_text("partially refunded")
    shot(staff, "16-staff-refund")
    customer.goto(order_url)
    expect(customer.locator(".badge")).to_have_text("partially refunded")

    # 8. Royalties. Both lines were paid on Monday 9 March 2026 (the clock) and the L line
    #    refunded the same day. Each line is one tee at 25.00 incl. 20 % VAT:
    #    25.00 / 1.20 = 20.8333… → 20.83 net, and 10 % of it (units 1–100) is 2.083 → 2.08 EUR.
    #    Accrued 2 × 2.08 = 4.16, reversed 2.08 (the L tee): the creator keeps 2.08 EUR. The
    #    return window (30 days after shipping) passes, the earnings clear (in April), and
    #    March is closed.
    clock.advance(timedelta(days=31))
    # The M tee clears; the L tee was reversed whole, so nothing of it is left to clear.
    assert "Cleared 1 accrual(s)." in run_cli(app, "royalties", "clear-earnings")
    closed = run_cli(app, "royalties", "close-period", "2026-03")
    assert "Closed 2026-03: 1 statement(s)." in closed
    assert "ledger OK" in run_cli(app, "royalties", "verify")

    # The designer's session ended during the voting week: they log in again.
    creator = actors.log_in(DESIGNER_EMAIL, DESIGNER_PASSWORD)
    creator.get_by_role("link", name="Royalties").first.click()
    expect(creator.get_by_role("heading", name="Your royalties")).to_be_visible()
    chart = creator.get_by_role("img", name="Royalties earned per month, last 12 months")
    expect(chart).to_be_visible()
    # Cleared in April: 2.08 payable, nothing pending.
    expect(creator.locator(".balance-cleared")).to_have_text("€2.08")
    expect(creator.locator(".balance-pending")).to_have_text("€0.00")
    shot(creator, "17-creator-dashboard")
    creator.get_by_role("link", name="March 2026").click()
    expect(creator.get_by_role("heading", name="Royalty statement, March 2026")).to_be_visible()
    lines = creator.locator(".statement-lines tbody tr")
    expect(lines).to_have_count(3)  # the two tees' accruals, then the L tee's reversal
    expect(creator.locator(".statement-lines")).to_contain_text(order_number)
    expect(creator.locator(".summary-closing td")).to_have_text("€2.08")
    shot(creator, "18-creator-statement")
    with creator.expect_download() as csv_download:
        creator.get_by_role("link", name="Download CSV").click()
    assert csv_download.value.suggested_filename == "cocreate-statement-2026-03.csv"
    rows = list(csv.reader(io.StringIO(Path(csv_download.value.path()).read_text("utf-8-sig"))))
    total = next(row for row in rows if row[1] == "Total")
    assert total[-2] == "2.08"
