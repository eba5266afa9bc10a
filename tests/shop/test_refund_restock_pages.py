"""The order desk's "Return the units to stock" box: ticked until the order ships, the units back
on sale once the refund is done, shown on the order's page and in the staff audit log, and a
422 for a value no box sends."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core.clock import TestClock
from cocreate.core.money import Money
from cocreate.shop.models import Order, OrderState, Refund
from tests.accounts.factories import AdminFactory, StaffFactory
from tests.shop.checkout_factories import (
    paid_by_hand,
    stock_of,
)
from tests.shop.fakes import FakeGateway

S = OrderState


def _text(response: Any) -> str:
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _box(response: Any) -> str:
    """The restock checkbox's tag."""
    (tag,) = re.findall(r'<input[^>]*name="restock"[^>]*>', response.get_data(as_text=True))
    return tag


def eur(cents: int) -> Money:
    return Money(cents, "EUR")


@pytest.fixture
def staff(db_session: Session, auth: Any) -> User:
    user = StaffFactory(email="staff@example.test", display_name="Stan Staff")
    auth.login("staff@example.test")
    return user


def _paid(app: Flask, session: Session, clock: TestClock) -> Order:
    """2 × 25.00 tee (8 in stock) + 1 × 18.00 tote (3 in stock) to France: 72.90, paid."""
    return paid_by_hand(session, settings(app), now=clock.now(), tee_stock=8, tote_stock=3)


def test_the_box_is_ticked_until_the_order_ships(
    app: Flask, client: FlaskClient, db_session: Session, clock: TestClock, staff: User
) -> None:
    order = _paid(app, db_session, clock)
    page = client.get(f"/staff/orders/{order.number}")
    assert "Return the units to stock" in _text(page)
    assert "checked" in _box(page)
    client.post(f"/staff/orders/{order.number}/fulfil", data={"tracking_number": "LP1"})
    assert "checked" not in _box(client.get(f"/staff/orders/{order.number}"))


def test_refunding_units_back_tostock_of(
    app: Flask,
    client: FlaskClient,
    db_session: Session,
    clock: TestClock,
    staff: User,
    fake_gateway: FakeGateway,
) -> None:
    order = _paid(app, db_session, clock)
    assert stock_of(db_session, order) == (6, 2)
    tee, tote = order.lines
    response = client.post(
        f"/staff/orders/{order.number}/refund",
        data={
            f"qty-{tee.id}": "2",
            f"qty-{tote.id}": "1",
            "scope": "lines",
            "reason": "Never sent",
            "restock": "y",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    text = _text(response)
    assert (
        "A refund of €68.00 is on its way to the payment service; its units go back to stock"
        " once it is done." in text
    )
    assert "Stan Staff €68.00 Never sent done" in text
    assert "units returned to stock" in text
    assert stock_of(db_session, order) == (8, 3)
    (refund,) = db_session.scalars(select(Refund)).all()
    assert refund.restock is True


def test_refunding_units_without_returning_them(
    app: Flask,
    client: FlaskClient,
    db_session: Session,
    clock: TestClock,
    staff: User,
    fake_gateway: FakeGateway,
) -> None:
    order = _paid(app, db_session, clock)
    tee, _tote = order.lines
    # No "restock" field: the box was unticked.
    response = client.post(
        f"/staff/orders/{order.number}/refund",
        data={f"qty-{tee.id}": "1", "scope": "lines", "reason": "Stained"},
        follow_redirects=True,
    )
    text = _text(response)
    assert "A refund of €25.00 is on its way to the payment service." in text
    assert "units not returned" in text
    assert stock_of(db_session, order) == (6, 2)


def test_a_refund_waiting_for_the_gateway_returns_its_units_later(
    app: Flask,
    client: FlaskClient,
    db_session: Session,
    clock: TestClock,
    staff: User,
    fake_gateway: FakeGateway,
) -> None:
    fake_gateway.confirm_refunds = False  # Stripe: confirmed later by webhook
    order = _paid(app, db_session, clock)
    response = client.post(
        f"/staff/orders/{order.number}/refund",
        data={"scope": "whole", "reason": "Cancelled", "restock": "y"},
        follow_redirects=True,
    )
    text = _text(response)
    assert "waiting for the payment service units return to stock once done" in text
    assert stock_of(db_session, order) == (6, 2)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"qty-TEE": "1", "reason": "r", "restock": "maybe"}, "can only be ticked or left empty"),
        ({"qty-TEE": "1", "reason": "r", "restock": ""}, "can only be ticked or left empty"),
        ({"qty-TEE": "1", "reason": "", "restock": "y"}, "Please say why this order is refunded."),
        ({"qty-TEE": "x", "reason": "r", "restock": "y"}, "Quantities must be whole numbers."),
        (
            {"qty-TEE": "3", "reason": "r", "restock": "y"},
            "Only 2 units of “Tee”, T-shirt, black, M can still be refunded.",
        ),
    ],
)
def test_bad_input_is_refused_with_a_422_and_nothing_restocked(
    app: Flask,
    client: FlaskClient,
    db_session: Session,
    clock: TestClock,
    staff: User,
    fake_gateway: FakeGateway,
    data: dict[str, str],
    message: str,
) -> None:
    order = _paid(app, db_session, clock)
    tee_id = order.lines[0].id
    form = {key.replace("TEE", str(tee_id)): value for key, value in data.items()}
    response = client.post(f"/staff/orders/{order.number}/refund", data=form | {"scope": "lines"})
    assert response.status_code == 422
    assert message in _text(response)
    assert db_session.scalars(select(Refund)).all() == []
    assert fake_gateway.refunds == []
    assert stock_of(db_session, order) == (6, 2)


def test_a_refused_form_keeps_the_box_as_staff_left_it(
    app: Flask,
    client: FlaskClient,
    db_session: Session,
    clock: TestClock,
    staff: User,
    fake_gateway: FakeGateway,
) -> None:
    order = _paid(app, db_session, clock)
    tee_id = order.lines[0].id
    # Unticked on an order not shipped (where it starts ticked), then refused for the reason.
    response = client.post(
        f"/staff/orders/{order.number}/refund",
        data={f"qty-{tee_id}": "1", "scope": "lines", "reason": ""},
    )
    assert response.status_code == 422
    assert "checked" not in _box(response)


@pytest.mark.usefixtures("request_ctx", "fake_gateway")
def test_the_audit_log_says_which_refunds_returned_their_units(
    app: Flask, client: FlaskClient, auth: Any, db_session: Session, clock: TestClock
) -> None:
    from cocreate.shop import desk

    order = _paid(app, db_session, clock)
    stan = StaffFactory(display_name="Stan Staff")
    AdminFactory(email="ada@example.test", display_name="Ada Admin")
    tee, tote = order.lines
    for line, reason, restock in [(tee, "Unsold: back", True), (tote, "Torn: binned", False)]:
        desk.refund(
            db_session,
            order,
            stan,
            quantities={line.id: 1},
            whole=False,
            reason=reason,
            at=clock.now(),
            restock=restock,
        )
    db_session.commit()
    auth.login("ada@example.test")
    text = _text(client.get("/staff/audit?kind=order_refunded"))
    assert f"Order refunded {order.number} Unsold: back (units returned to stock)" in text
    assert f"Order refunded {order.number} Torn: binned " in text
    assert "Torn: binned (units returned to stock)" not in text
