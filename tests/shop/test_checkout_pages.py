"""The checkout page: the cart priced on the server, the address form (422s), placing the order
and handing over to the gateway; tampered fields change nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.core.clock import TestClock
from cocreate.core.money import Money
from cocreate.designs.models import DesignState
from cocreate.production.models import Variant
from cocreate.shop.models import Order, OrderState
from tests.accounts.factories import UserFactory
from tests.shop.checkout_factories import VariantFactory
from tests.shop.conftest import CartStub
from tests.shop.fakes import FakeGateway

pytestmark = pytest.mark.usefixtures("clock")

FORM = {
    "email": "Camille@Example.test",
    "name": "Camille Martin",
    "line1": "12 rue des Lilas",
    "line2": "",
    "city": "Lyon",
    "postcode": "69003",
    "country": "FR",
}


def _text(response: Any) -> str:
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _stock(session: Session, variant: Variant) -> int:
    session.expire_all()
    return session.get_one(Variant, variant.id).stock_on_hand


def _orders(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Order)) or 0)


@pytest.fixture
def tee(db_session: Session) -> Variant:
    return VariantFactory(stock_on_hand=3, price=Money(2500, "EUR"), design__title="Midnight Tide")


def test_an_empty_cart_goes_back_to_the_cart(client: FlaskClient, shop_cart: CartStub) -> None:
    response = client.get("/checkout")
    assert (response.status_code, response.headers["Location"]) == (302, "/cart")
    assert client.post("/checkout", data=FORM).status_code == 302


def test_the_page_shows_server_prices_and_totals(
    client: FlaskClient, shop_cart: CartStub, tee: Variant
) -> None:
    shop_cart.lines = [(tee.id, 2)]
    response = client.get("/checkout")
    assert response.status_code == 200
    text = _text(response)
    assert "“Midnight Tide”, T-shirt, black, M 2 €25.00 €50.00" in text
    assert "Subtotal €50.00" in text
    # The first country of SHIPPING_RATES is chosen until the buyer picks another.
    assert "Shipping to France €4.90 Total €54.90" in text
    assert "Prices include VAT (€9.15 in this order)." in text
    assert "Ireland: €9.90" in text
    assert "Only 2 left" not in text


def test_a_member_finds_their_email_filled_in(
    client: FlaskClient, auth: Any, shop_cart: CartStub, tee: Variant
) -> None:
    UserFactory(email="sam@example.test")
    auth.login("sam@example.test")
    shop_cart.lines = [(tee.id, 1)]
    page = client.get("/checkout").get_data(as_text=True)
    assert 'value="sam@example.test"' in page


def test_a_line_short_of_stock_is_flagged(
    client: FlaskClient, shop_cart: CartStub, tee: Variant
) -> None:
    shop_cart.lines = [(tee.id, 5)]
    assert "Only 3 left" in _text(client.get("/checkout"))


def test_an_item_no_longer_on_sale_is_named(
    client: FlaskClient, db_session: Session, shop_cart: CartStub
) -> None:
    gone = VariantFactory(design__state=DesignState.RETIRED, design__title="Old Song")
    shop_cart.lines = [(gone.id, 1)]
    response = client.get("/checkout")
    assert response.status_code == 409
    assert "“Old Song”, T-shirt, black, M is no longer on sale" in _text(response)


def test_placing_the_order_hands_over_to_the_gateway(
    client: FlaskClient,
    db_session: Session,
    shop_cart: CartStub,
    tee: Variant,
    fake_gateway: FakeGateway,
) -> None:
    shop_cart.lines = [(tee.id, 2)]
    response = client.post("/checkout", data=FORM)
    assert (response.status_code, response.headers["Location"]) == (
        302,
        "https://pay.example.test/cs_1",
    )
    order = db_session.scalars(select(Order)).one()
    assert (order.state, order.email, order.checkout_reference, order.user_id) == (
        OrderState.PENDING_PAYMENT,
        "camille@example.test",
        "cs_1",
        None,
    )
    assert order.total == Money(5490, "EUR")
    assert _stock(db_session, tee) == 1
    (request,) = fake_gateway.checkouts
    assert [(line.unit_price, line.quantity) for line in request.lines] == [(Money(2500, "EUR"), 2)]
    assert request.shipping == Money(490, "EUR")
    token = re.fullmatch(
        rf"http://localhost/orders/{order.number}/([A-Za-z0-9_-]+)", request.success_url
    )
    assert token is not None  # a guest comes back to their signed link
    assert request.cancel_url == "http://localhost/cart"
    assert shop_cart.cleared == 0  # emptied when the buyer comes back, not before


def test_a_member_order_returns_to_its_page(
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    shop_cart: CartStub,
    tee: Variant,
    fake_gateway: FakeGateway,
) -> None:
    member = UserFactory(email="sam@example.test")
    auth.login("sam@example.test")
    shop_cart.lines = [(tee.id, 1)]
    client.post("/checkout", data=FORM | {"email": "sam@example.test"})
    order = db_session.scalars(select(Order)).one()
    assert order.user_id == member.id
    assert fake_gateway.checkouts[0].success_url == f"http://localhost/orders/{order.number}"


def test_tampered_prices_and_quantities_change_nothing(
    client: FlaskClient,
    db_session: Session,
    shop_cart: CartStub,
    tee: Variant,
    fake_gateway: FakeGateway,
) -> None:
    shop_cart.lines = [(tee.id, 1)]
    tampered = FORM | {
        "price": "1",
        "unit_price": "0.01",
        "total": "0.01",
        "shipping": "0",
        "quantity": "3",
        f"qty-{tee.id}": "3",
        "variant_id": str(tee.id + 1),
        "vat_rate": "0",
    }
    assert client.post("/checkout", data=tampered).status_code == 302
    order = db_session.scalars(select(Order)).one()
    assert (order.subtotal, order.shipping, order.total) == (
        Money(2500, "EUR"),
        Money(490, "EUR"),
        Money(2990, "EUR"),
    )
    assert [(line.variant_id, line.quantity) for line in order.lines] == [(tee.id, 1)]
    (request,) = fake_gateway.checkouts
    assert [(line.unit_price, line.quantity) for line in request.lines] == [(Money(2500, "EUR"), 1)]
    assert _stock(db_session, tee) == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "This email address is not valid: please check it."),
        ("name", "", "This field is required."),
        ("line1", "\u200b", "This needs at least one visible character."),
        ("city", "x" * 81, "Field cannot be longer than 80 characters."),
        ("postcode", "69003!", "A postcode has only letters, digits, spaces and hyphens."),
        ("country", "US", "Not a valid choice."),
    ],
)
def test_a_bad_address_comes_back_with_its_message(
    client: FlaskClient,
    db_session: Session,
    shop_cart: CartStub,
    tee: Variant,
    fake_gateway: FakeGateway,
    field: str,
    value: str,
    message: str,
) -> None:
    shop_cart.lines = [(tee.id, 1)]
    response = client.post("/checkout", data=FORM | {field: value})
    assert response.status_code == 422
    assert message in _text(response)
    assert (_orders(db_session), _stock(db_session, tee), fake_gateway.checkouts) == (0, 3, [])


def test_sold_out_at_placing_says_so_and_reserves_nothing(
    client: FlaskClient,
    db_session: Session,
    shop_cart: CartStub,
    tee: Variant,
    fake_gateway: FakeGateway,
) -> None:
    shop_cart.lines = [(tee.id, 4)]
    response = client.post("/checkout", data=FORM)
    assert response.status_code == 409
    assert "Sorry, only 3 of “Midnight Tide”, T-shirt, black, M are left." in _text(response)
    assert (_orders(db_session), _stock(db_session, tee), fake_gateway.checkouts) == (0, 3, [])


def test_a_gateway_failure_fails_cleanly(
    client: FlaskClient,
    db_session: Session,
    shop_cart: CartStub,
    tee: Variant,
    fake_gateway: FakeGateway,
) -> None:
    fake_gateway.fail_checkout = ConnectionError("no route to host")
    shop_cart.lines = [(tee.id, 2)]
    response = client.post("/checkout", data=FORM)
    assert response.status_code == 502
    assert "The payment service could not be reached: nothing was charged" in _text(response)
    assert (_orders(db_session), _stock(db_session, tee)) == (0, 3)


def test_shipping_follows_the_chosen_country_on_a_failed_form(
    client: FlaskClient, shop_cart: CartStub, tee: Variant, fake_gateway: FakeGateway
) -> None:
    shop_cart.lines = [(tee.id, 1)]
    response = client.post("/checkout", data=FORM | {"country": "IE", "name": ""})
    assert response.status_code == 422
    assert "Shipping to Ireland €9.90 Total €34.90" in _text(response)


def test_the_page_speaks_french(
    client: FlaskClient, shop_cart: CartStub, tee: Variant, app: Flask, clock: TestClock
) -> None:
    shop_cart.lines = [(tee.id, 1)]
    client.post("/language", data={"locale": "fr", "next": "/checkout"})
    text = _text(client.get("/checkout"))
    assert "Livraison" in text
    assert "25,00\u00a0€" in text
