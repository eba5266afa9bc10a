"""Customers' order pages: their list, an order's page for its owner and staff only, a guest's
signed link, the cart emptied on the way back from the gateway, states in the reader's language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core.clock import TestClock
from cocreate.shop import orders
from cocreate.shop.models import Order, OrderState
from tests.accounts.factories import StaffFactory, UserFactory
from tests.shop.checkout_factories import VariantFactory, place
from tests.shop.conftest import CartStub
from tests.shop.fakes import FakeGateway

FORM = {
    "email": "guest@example.test",
    "name": "Camille Martin",
    "line1": "12 rue des Lilas",
    "city": "Lyon",
    "postcode": "69003",
    "country": "FR",
}


def _text(response: Any) -> str:
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


@pytest.fixture
def sam(db_session: Session, auth: Any) -> User:
    user = UserFactory(email="sam@example.test")
    auth.login("sam@example.test")
    return user


def _order(app: Flask, session: Session, clock: TestClock, user: User | None, title: str) -> Order:
    variant = VariantFactory(design__title=title)
    order = place(
        session,
        settings(app),
        [(variant, 1)],
        now=clock.now(),
        user_id=user.id if user else None,
        email=user.email if user else "guest@example.test",
    )
    session.commit()
    return order


def test_a_member_lists_their_orders_with_states(
    app: Flask, client: FlaskClient, db_session: Session, clock: TestClock, sam: User
) -> None:
    paid = _order(app, db_session, clock, sam, "Paid One")
    paid.state = OrderState.PAID
    pending = _order(app, db_session, clock, sam, "Pending One")
    other = _order(app, db_session, clock, UserFactory(), "Not Sams")
    db_session.commit()
    text = _text(client.get("/orders"))
    assert f"{paid.number}" in text and f"{pending.number}" in text
    assert other.number not in text
    assert "€29.90 paid" in text
    assert "€29.90 awaiting payment" in text


def test_an_empty_list_says_so(client: FlaskClient, sam: User) -> None:
    assert "You have not ordered anything yet." in _text(client.get("/orders"))


def test_an_order_is_shown_to_its_owner(
    app: Flask, client: FlaskClient, db_session: Session, clock: TestClock, sam: User
) -> None:
    order = _order(app, db_session, clock, sam, "Midnight Tide")
    response = client.get(f"/orders/{order.number}")
    assert response.status_code == 200
    text = _text(response)
    assert "awaiting payment" in text
    assert "“Midnight Tide”, T-shirt, black, M 1 €25.00 €25.00" in text
    assert "Shipping €4.90 Total €29.90" in text
    assert "12 rue des Lilas" in text and "69003 Lyon" in text and "France" in text


def test_other_members_get_a_404_and_staff_see_it(
    app: Flask, client: FlaskClient, auth: Any, db_session: Session, clock: TestClock, sam: User
) -> None:
    order = _order(app, db_session, clock, UserFactory(), "Someone Else's")
    assert client.get(f"/orders/{order.number}").status_code == 404
    assert client.get("/orders/CC-22222222").status_code == 404
    assert client.get("/orders/not-a-number").status_code == 404
    auth.logout()
    StaffFactory(email="staff@example.test")
    auth.login("staff@example.test")
    assert client.get(f"/orders/{order.number}").status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(
    app: Flask, client: FlaskClient, db_session: Session, clock: TestClock
) -> None:
    order = _order(app, db_session, clock, None, "Guest Order")
    for path in ("/orders", f"/orders/{order.number}"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_a_guest_opens_their_order_with_its_signed_link(
    app: Flask, client: FlaskClient, db_session: Session, clock: TestClock
) -> None:
    order = _order(app, db_session, clock, None, "Guest Order")
    with app.test_request_context():
        token = orders.link_token(order)
    assert client.get(f"/orders/{order.number}/{token}").status_code == 200
    # The first character: the last one's low bits are base64 padding, ignored when decoded.
    altered = ("A" if token[0] != "A" else "B") + token[1:]
    assert client.get(f"/orders/{order.number}/{altered}").status_code == 404
    assert client.get(f"/orders/{order.number}/nonsense!").status_code == 404
    other = _order(app, db_session, clock, None, "Another")
    assert client.get(f"/orders/{other.number}/{token}").status_code == 404


def test_the_signed_link_is_for_the_orders_email(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    order = _order(app, db_session, clock, None, "Guest Order")
    with app.test_request_context():
        token = orders.link_token(order)
        assert orders.token_matches(order, token) is True
        order.email = "someone.else@example.test"
        assert orders.token_matches(order, token) is False


def test_the_cart_empties_when_the_buyer_comes_back_from_the_gateway(
    app: Flask,
    client: FlaskClient,
    db_session: Session,
    clock: TestClock,
    shop_cart: CartStub,
    fake_gateway: FakeGateway,
) -> None:
    variant = VariantFactory()
    shop_cart.lines = [(variant.id, 1)]
    client.post("/checkout", data=FORM)
    assert shop_cart.cleared == 0
    (request,) = fake_gateway.checkouts
    path = request.success_url.removeprefix("http://localhost")
    assert client.get(path).status_code == 200
    assert shop_cart.cleared == 1
    client.get(path)
    assert shop_cart.cleared == 1  # once


def test_a_cancelled_payment_keeps_the_cart(
    app: Flask,
    client: FlaskClient,
    db_session: Session,
    clock: TestClock,
    shop_cart: CartStub,
    fake_gateway: FakeGateway,
) -> None:
    variant = VariantFactory()
    shop_cart.lines = [(variant.id, 1)]
    client.post("/checkout", data=FORM)
    other = _order(app, db_session, clock, None, "Another")
    with app.test_request_context():
        token = orders.link_token(other)
    client.get(f"/orders/{other.number}/{token}")  # some other order's page
    assert (shop_cart.cleared, shop_cart.lines) == (0, [(variant.id, 1)])


def test_states_read_in_french(
    app: Flask, client: FlaskClient, db_session: Session, clock: TestClock, sam: User
) -> None:
    order = _order(app, db_session, clock, sam, "Midnight Tide")
    client.post("/language", data={"locale": "fr", "next": "/orders"})
    assert "en attente de paiement" in _text(client.get(f"/orders/{order.number}"))
