"""The shop in a real browser: a customer filters the catalogue, puts two sizes of a tee in the
cart, checks out and pays with the demo gateway; staff ship the order and refund one line; the
customer then sees the order partially refunded."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from cocreate.core import db
from cocreate.designs.models import DesignProduct
from tests import factories_session
from tests.accounts.factories import PASSWORD, StaffFactory, UserFactory
from tests.e2e.conftest import AxeAudit, LiveServer, assert_accessible
from tests.shop.catalog_factories import OnSaleDesignFactory, variant

pytestmark = pytest.mark.e2e


def _seed(app: Flask) -> None:
    """A tee on sale in black M and L (25.00 EUR each), and a poster-only design the size filter
    must leave out; a customer and a staff member."""
    with app.app_context():
        factories_session.current = db.session()
        try:
            UserFactory(email="cleo@example.test", display_name="Cleo Customer")
            StaffFactory(email="sam@example.test", display_name="Sam Staff")
            designer = UserFactory(email="dana@example.test", display_name="Dana Designer")
            tee = OnSaleDesignFactory(
                title="Harbour Lights", designer=designer, products=[DesignProduct(product="tee")]
            )
            variant(tee.id, "tee", "black", "M", stock=5)
            variant(tee.id, "tee", "black", "L", stock=5)
            poster = OnSaleDesignFactory(
                title="Quiet Dunes", designer=designer, products=[DesignProduct(product="poster")]
            )
            variant(poster.id, "poster", "", "50x70", stock=5, price=1800)
            db.commit()
        finally:
            factories_session.current = None


def _login(page: Page, url: str, email: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("You are logged in.")).to_be_visible()


def _add_size(page: Page, size: str) -> None:
    page.locator(".size-picker label").filter(has_text=re.compile(rf"^\s*{size}\b")).click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()


def test_customer_buys_two_sizes_and_staff_ship_and_refund_one(
    live_server: LiveServer, page: Page, browser: Browser, axe_audit: AxeAudit
) -> None:
    _seed(live_server.app)
    url = live_server.url

    # The customer narrows the catalogue to tees in size L: the poster is left out.
    _login(page, url, "cleo@example.test")
    page.goto(url + "/shop")
    expect(page.locator(".product-card")).to_have_count(2)
    page.get_by_label("Product").select_option("tee")
    page.get_by_label("Size in stock").select_option("L")
    page.get_by_role("button", name="Show").click()
    cards = page.locator(".product-card")
    expect(cards).to_have_count(1)
    expect(cards).to_contain_text("Harbour Lights")
    expect(cards).to_contain_text("from €25.00")

    cards.get_by_role("link", name="Harbour Lights").click()
    expect(page.get_by_role("heading", name="Harbour Lights")).to_be_visible()
    _add_size(page, "M")
    page.go_back()
    _add_size(page, "L")
    rows = page.locator(".cart-table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(".cart-total")).to_have_text("€50.00")

    # Checkout: the email comes from the account, the address is in France (4.90 shipping).
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_label("Email")).to_have_value("cleo@example.test")
    page.get_by_label("Full name").fill("Cleo Customer")
    page.get_by_label("Address", exact=True).fill("12 rue des Lilas")
    page.get_by_label("Postcode").fill("69003")
    page.get_by_label("City").fill("Lyon")
    page.get_by_label("Country").select_option("FR")
    expect(page.locator(".shipping")).to_have_text("€4.90")
    expect(page.locator(".total")).to_have_text("€54.90")
    page.get_by_role("button", name="Continue to payment").click()

    # The demo gateway: no money moves; the buyer chooses success.
    expect(page.get_by_role("heading", name="Demo payment")).to_be_visible()
    expect(page.locator("dd").nth(1)).to_have_text("€54.90")
    page.get_by_role("button", name="Pay (succeeds)").click()

    heading = page.get_by_role("heading", name=re.compile(r"^Order "))
    expect(heading).to_be_visible()
    number = (heading.text_content() or "").removeprefix("Order ").strip()
    expect(page.locator(".badge")).to_have_text("paid")
    expect(page.get_by_text("Thank you: your payment is confirmed.")).to_be_visible()
    expect(page.locator(".order-lines tbody tr")).to_have_count(2)
    expect(page.locator(".order-lines .total")).to_have_text("€54.90")
    order_url = page.url
    page.get_by_role("link", name="All my orders").click()
    expect(page.get_by_role("main")).to_contain_text(number)

    # Staff, in their own browser context (audited too), ship the order and refund the L tee.
    staff_audit = AxeAudit()
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(15_000)
    staff_audit.install(context)
    staff = context.new_page()
    staff_audit.watch(staff)
    _login(staff, url, "sam@example.test")
    staff.goto(url + "/staff/orders")
    staff.get_by_label("Number or email").fill("cleo@example.test")
    staff.get_by_role("button", name="Search").click()
    staff.get_by_role("link", name=number).click()
    expect(staff.locator(".badge")).to_have_text("paid")
    staff.get_by_label("Tracking number").fill("6A12345678901")
    staff.get_by_role("button", name="Mark as shipped").click()
    expect(staff.get_by_text(f"Order {number} is marked shipped.")).to_be_visible()
    expect(staff.locator(".badge")).to_have_text("shipped")

    staff.get_by_label(re.compile(r"black, L, €25\.00$")).fill("1")
    staff.get_by_label("Reason").fill("Seam came undone")
    staff.get_by_role("button", name="Refund these units").click()
    # The refund goes through the outbox (delivered after the commit under ENV=testing): the
    # page after the redirect shows it done.
    expect(staff.locator(".refund-list")).to_contain_text("€25.00 refunded")
    expect(staff.locator(".badge")).to_have_text("partially refunded")
    staff_audit.finish(staff)
    context.close()
    assert_accessible(staff_audit)

    # The customer reloads their order.
    page.goto(order_url)
    expect(page.locator(".badge")).to_have_text("partially refunded")
    expect(page.get_by_text("Tracking number: 6A12345678901")).to_be_visible()
    expect(page.locator(".refund-list")).to_have_text(re.compile(r"€25\.00 refunded on"))
    expect(page.locator(".order-lines .total")).to_have_text("€54.90")
