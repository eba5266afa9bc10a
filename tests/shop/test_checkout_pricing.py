"""Checkout's rules: cart quantities, server prices, VAT split to the cent, the placed order and
what the gateway is asked to charge."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.config import Config, settings
from cocreate.core.clock import TestClock
from cocreate.core.money import Money
from cocreate.designs.models import DesignState
from cocreate.production.models import Variant
from cocreate.shop import checkout, reservations
from cocreate.shop.models import Order
from tests.accounts.factories import UserFactory
from tests.designs.factories import DesignFactory
from tests.shop.checkout_factories import ADDRESS, VariantFactory, place
from tests.shop.fakes import FakeGateway

pytestmark = pytest.mark.usefixtures("request_ctx")


def eur(cents: int) -> Money:
    return Money(cents, "EUR")


def _config(app: Flask, **changes: object) -> Config:
    return replace(settings(app), **changes)


# --- Cart quantities ---------------------------------------------------------------------------


def test_quantities_of_one_variant_listed_twice_add_up() -> None:
    assert checkout.wanted_quantities([(4, 2), (9, 1), (4, 3)]) == {4: 5, 9: 1}


@pytest.mark.parametrize("lines", [[], [(4, 0)], [(4, -1)], [(4, 21)], [(4, 15), (4, 6)]])
def test_bad_cart_quantities_are_refused(lines: list[tuple[int, int]]) -> None:
    with pytest.raises(checkout.CheckoutError):
        checkout.wanted_quantities(lines)


def test_refusals_say_why() -> None:
    with pytest.raises(checkout.CheckoutError, match=r"^Your cart is empty\.$"):
        checkout.wanted_quantities([])
    with pytest.raises(checkout.CheckoutError) as refused:
        checkout.wanted_quantities([(4, 21)])
    assert str(refused.value) == "Each item can be ordered 20 times at most per order."


def test_one_and_twenty_units_are_allowed() -> None:
    assert checkout.wanted_quantities([(4, 1), (5, 20)]) == {4: 1, 5: 20}


# --- Prices and VAT ----------------------------------------------------------------------------


def test_a_25_euro_tee_in_france_is_20_83_net_and_4_17_vat(app: Flask, db_session: Session) -> None:
    v = VariantFactory(price=eur(2500))
    quote = checkout.quote(db_session, [(v.id, 1)], "FR", settings(app))
    (line,) = quote.lines
    assert (line.gross, line.net, line.tax, line.vat_rate) == (
        eur(2500),
        eur(2083),
        eur(417),
        Decimal("0.20"),
    )
    # Shipping to France: 4.90, of which 0.82 VAT (4.90 / 1.2 = 4.0833 → 4.08 net).
    assert (quote.subtotal, quote.shipping, quote.tax, quote.total) == (
        eur(2500),
        eur(490),
        eur(417 + 82),
        eur(2990),
    )


def test_vat_is_split_once_per_line_not_per_unit(app: Flask, db_session: Session) -> None:
    v = VariantFactory(price=eur(2500))
    (line,) = checkout.quote(db_session, [(v.id, 3)], "FR", settings(app)).lines
    # 75.00 / 1.2 = 62.50 exactly (three units rounded apart would give 62.49).
    assert (line.gross, line.net, line.tax) == (eur(7500), eur(6250), eur(1250))


def test_germany_uses_its_own_rate_and_shipping(app: Flask, db_session: Session) -> None:
    v = VariantFactory(price=eur(2500))
    quote = checkout.quote(db_session, [(v.id, 1)], "DE", settings(app))
    (line,) = quote.lines
    # 25.00 / 1.19 = 21.0084 → 21.01 net, 3.99 VAT; shipping 6.90 / 1.19 = 5.798 → 5.80, 1.10.
    assert (line.net, line.tax, line.vat_rate) == (eur(2101), eur(399), Decimal("0.19"))
    assert (quote.shipping, quote.tax, quote.total) == (eur(690), eur(399 + 110), eur(3190))


def test_exact_half_cents_round_to_even(app: Flask, db_session: Session) -> None:
    config = _config(app, VAT_RATES={"FR": Decimal("0.6")}, SHIPPING_RATES={"FR": 12})
    cheap = VariantFactory(price=eur(4))
    # 0.04 / 1.6 = 0.025 → 0.02 (even); shipping 0.12 / 1.6 = 0.075 → 0.08 (even).
    quote = checkout.quote(db_session, [(cheap.id, 1)], "FR", config)
    (line,) = quote.lines
    assert (line.net, line.tax) == (eur(2), eur(2))
    assert quote.tax == eur(2 + 4)


def test_lines_keep_the_cart_order_and_add_up(app: Flask, db_session: Session) -> None:
    a = VariantFactory(price=eur(2500), design__title="Alpha")
    b = VariantFactory(price=eur(1900), product="poster", colour="", size="30x40")
    quote = checkout.quote(db_session, [(b.id, 2), (a.id, 1)], "BE", settings(app))
    assert [(line.variant.id, line.quantity) for line in quote.lines] == [(b.id, 2), (a.id, 1)]
    assert [line.gross for line in quote.lines] == [eur(3800), eur(2500)]
    # Belgium 21 %: 38.00 / 1.21 = 31.405 → 31.40 (6.60 VAT); 25.00 / 1.21 = 20.66 (4.34);
    # shipping 6.90 / 1.21 = 5.702 → 5.70 (1.20).
    assert [(line.net, line.tax) for line in quote.lines] == [
        (eur(3140), eur(660)),
        (eur(2066), eur(434)),
    ]
    assert (quote.subtotal, quote.shipping, quote.tax, quote.total) == (
        eur(6300),
        eur(690),
        eur(660 + 434 + 120),
        eur(6990),
    )
    assert quote.lines[1].name == "“Alpha”, T-shirt, black, M"
    assert quote.lines[0].name.endswith(", Poster, 30 × 40 cm")


def test_a_design_no_longer_on_sale_is_refused_by_name(app: Flask, db_session: Session) -> None:
    v = VariantFactory(design__title="Old Song", design__state=DesignState.RETIRED)
    with pytest.raises(checkout.CheckoutError) as refused:
        checkout.quote(db_session, [(v.id, 1)], "FR", settings(app))
    assert str(refused.value) == (
        "“Old Song”, T-shirt, black, M is no longer on sale: please remove it from your cart."
    )


def test_a_price_in_another_currency_is_refused(app: Flask, db_session: Session) -> None:
    v = VariantFactory(price=Money(2500, "USD"))
    with pytest.raises(checkout.CheckoutError, match="no longer on sale"):
        checkout.quote(db_session, [(v.id, 1)], "FR", settings(app))


def test_a_missing_variant_is_refused(app: Flask, db_session: Session) -> None:
    v = VariantFactory()
    with pytest.raises(checkout.CheckoutError) as refused:
        checkout.quote(db_session, [(v.id, 1), (v.id + 99, 1)], "FR", settings(app))
    assert str(refused.value) == (
        "An item in your cart is no longer sold: please remove it from your cart."
    )


def test_shipping_countries(app: Flask) -> None:
    config = settings(app)
    assert checkout.ships_to("FR", config) is True
    assert checkout.ships_to("US", config) is False
    assert checkout.shipping_cost("IE", config) == eur(990)


# --- Placing the order -------------------------------------------------------------------------


def test_the_order_copies_what_was_bought(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    buyer = UserFactory(email="camille@example.test")
    design = DesignFactory(state=DesignState.ON_SALE, title="Midnight Tide")
    v = VariantFactory(price=eur(2500), stock_on_hand=4, design=design)
    order = checkout.place_order(
        db_session,
        [(v.id, 2)],
        address=replace(ADDRESS, line2="Bâtiment B"),
        buyer=checkout.Buyer(email="camille@example.test", user_id=buyer.id, locale="fr"),
        now=clock.now(),
        config=settings(app),
    )
    db_session.expire_all()
    order = db_session.get_one(Order, order.id)
    assert order.number.startswith("CC-") and len(order.number) == 11
    assert (order.email, order.user_id, order.locale) == ("camille@example.test", buyer.id, "fr")
    assert (
        order.ship_name,
        order.ship_line1,
        order.ship_line2,
        order.ship_city,
        order.ship_postcode,
        order.ship_country,
    ) == ("Camille Martin", "12 rue des Lilas", "Bâtiment B", "Lyon", "69003", "FR")
    assert (order.subtotal, order.shipping, order.tax, order.total) == (
        eur(5000),
        eur(490),
        eur(833 + 82),
        eur(5490),
    )
    assert order.currency == "EUR"
    assert (order.created_at, order.expires_at) == (
        clock.now(),
        clock.now() + timedelta(minutes=30),
    )
    assert (order.checkout_reference, order.payment_reference, order.paid_at) == (None, None, None)
    (line,) = order.lines
    assert (
        line.variant_id,
        line.sku,
        line.design_id,
        line.designer_id,
        line.title,
        line.product,
        line.colour,
        line.size,
        line.quantity,
        line.unit_price,
        line.vat_rate,
        line.net,
        line.tax,
    ) == (
        v.id,
        v.sku,
        v.design_id,
        design.designer_id,
        "Midnight Tide",
        "tee",
        "black",
        "M",
        2,
        eur(2500),
        Decimal("0.2000"),
        eur(4167),
        eur(833),
    )
    assert line.net + line.tax == line.gross == eur(5000)


def test_the_line_names_the_designs_creator(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    creator = UserFactory()
    v = VariantFactory(design__designer=creator)
    order = place(db_session, settings(app), [(v, 1)], now=clock.now())
    assert order.lines[0].designer_id == creator.id


def test_checkout_minutes_set_the_expiry(app: Flask, db_session: Session, clock: TestClock) -> None:
    config = _config(app, CHECKOUT_MINUTES=45)
    order = place(db_session, config, [(VariantFactory(), 1)], now=clock.now())
    assert order.expires_at == clock.now() + timedelta(minutes=45)


def test_the_price_charged_is_the_variants_when_the_order_is_placed(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    v = VariantFactory(price=eur(2500))
    shown = checkout.quote(db_session, [(v.id, 1)], "FR", settings(app))
    v.price = eur(2700)  # repriced between the page and the order
    db_session.flush()
    order = place(db_session, settings(app), [(v, 1)], now=clock.now())
    assert shown.total == eur(2990)
    assert order.total == eur(3190)


def test_a_country_the_shop_does_not_ship_to_takes_nothing(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    v = VariantFactory(stock_on_hand=3)
    with pytest.raises(checkout.CheckoutError, match=r"^We do not ship to this country\.$"):
        place(
            db_session,
            settings(app),
            [(v, 1)],
            now=clock.now(),
            address=replace(ADDRESS, country="US"),
        )
    assert db_session.scalar(select(Variant.stock_on_hand).where(Variant.id == v.id)) == 3


def test_an_item_no_longer_on_sale_takes_nothing(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    ok = VariantFactory(stock_on_hand=3)
    gone = VariantFactory(stock_on_hand=3, size="L", design__state=DesignState.RETIRED)
    with pytest.raises(checkout.CheckoutError):
        place(db_session, settings(app), [(ok, 1), (gone, 1)], now=clock.now())
    db_session.expire_all()
    assert [db_session.get_one(Variant, v.id).stock_on_hand for v in (ok, gone)] == [3, 3]
    assert db_session.scalar(select(func.count()).select_from(Order)) == 0


def test_a_sold_out_item_places_no_order(app: Flask, db_session: Session, clock: TestClock) -> None:
    v = VariantFactory(stock_on_hand=1)
    with pytest.raises(reservations.SoldOut):
        place(db_session, settings(app), [(v, 2)], now=clock.now())
    assert db_session.scalar(select(func.count()).select_from(Order)) == 0


def test_empty_cart_is_refused_before_anything(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    with pytest.raises(checkout.CheckoutError, match="empty"):
        checkout.place_order(
            db_session,
            [],
            address=ADDRESS,
            buyer=checkout.Buyer("a@example.test", None, "en"),
            now=clock.now(),
            config=settings(app),
        )


# --- The gateway -------------------------------------------------------------------------------


def test_the_gateway_is_asked_for_the_orders_own_amounts(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    a = VariantFactory(price=eur(2500), design__title="Alpha")
    b = VariantFactory(
        price=eur(1800), product="tote", colour="natural", size="one-size", design__title="Beta"
    )
    order = place(db_session, settings(app), [(a, 2), (b, 1)], now=clock.now(), locale="fr")
    fake = FakeGateway()
    started = checkout.start_payment(
        db_session,
        order,
        fake,
        success_url="https://shop.test/orders/x",
        cancel_url="https://shop.test/cart",
    )
    (request,) = fake.checkouts
    assert request.order_number == order.number
    assert [(line.name, line.unit_price, line.quantity) for line in request.lines] == [
        ("“Alpha”, T-shirt, black, M", eur(2500), 2),
        ("“Beta”, Tote bag, natural, One size", eur(1800), 1),
    ]
    assert (request.shipping, request.customer_email, request.locale) == (
        eur(490),
        "buyer@example.test",
        "fr",
    )
    assert (request.success_url, request.cancel_url) == (
        "https://shop.test/orders/x",
        "https://shop.test/cart",
    )
    assert request.expires_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert started.reference == "cs_1"
    db_session.expire_all()
    assert db_session.get_one(Order, order.id).checkout_reference == "cs_1"


def test_a_gateway_failure_propagates(app: Flask, db_session: Session, clock: TestClock) -> None:
    order = place(db_session, settings(app), [(VariantFactory(), 1)], now=clock.now())
    fake = FakeGateway(fail_checkout=ConnectionError("no route to host"))
    with pytest.raises(ConnectionError):
        checkout.start_payment(db_session, order, fake, success_url="s", cancel_url="c")
    assert order.checkout_reference is None
