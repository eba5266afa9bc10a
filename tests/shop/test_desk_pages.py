"""The staff order desk: access, search, an order's page, shipping with a tracking number, and
refunds (per line or whole) confirmed through the gateway."""

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
from cocreate.core import mail
from cocreate.core.clock import TestClock
from cocreate.core.money import Money
from cocreate.shop.models import Order, OrderState, OrderTransition, Refund, RefundState
from tests.accounts.factories import AdminFactory, StaffFactory, UserFactory
from tests.shop.checkout_factories import (
    VariantFactory,
    paid_by_hand,
    place,
)
from tests.shop.fakes import FakeGateway

S = OrderState


def _text(response: Any) -> str:
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def eur(cents: int) -> Money:
    return Money(cents, "EUR")


@pytest.fixture
def staff(db_session: Session, auth: Any) -> User:
    user = StaffFactory(email="staff@example.test", display_name="Stan Staff")
    auth.login("staff@example.test")
    return user


def _paid(
    app: Flask, session: Session, clock: TestClock, email: str = "buyer@example.test"
) -> Order:
    """2 × 25.00 tee + 1 × 18.00 tote to France: 72.90, paid."""
    return paid_by_hand(session, settings(app), now=clock.now(), email=email)


def test_members_cannot_use_the_desk(
    app: Flask, client: FlaskClient, auth: Any, db_session: Session, clock: TestClock
) -> None:
    order = _paid(app, db_session, clock)
    UserFactory(email="member@example.test")
    auth.login("member@example.test")
    for method, path in [
        ("GET", "/staff/orders/"),
        ("GET", f"/staff/orders/{order.number}"),
        ("POST", f"/staff/orders/{order.number}/fulfil"),
        ("POST", f"/staff/orders/{order.number}/refund"),
        ("GET", f"/staff/orders/id/{order.id}"),
    ]:
        assert client.open(path, method=method).status_code == 403, path
    desk_rules = sorted(
        r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("order_desk.")
    )
    assert desk_rules == [
        "/staff/orders/",
        "/staff/orders/<number>",
        "/staff/orders/<number>/fulfil",
        "/staff/orders/<number>/refund",
        "/staff/orders/id/<int:order_id>",
    ]


def test_search_by_number_email_and_state(
    app: Flask, client: FlaskClient, db_session: Session, clock: TestClock, staff: User
) -> None:
    a = _paid(app, db_session, clock, "alice@example.test")
    b = _paid(app, db_session, clock, "bob@example.test")
    b.state = S.FULFILLED
    db_session.commit()
    everything = _text(client.get("/staff/orders/"))
    assert a.number in everything and b.number in everything
    by_email = _text(client.get("/staff/orders/?q=ALICE"))
    assert a.number in by_email and b.number not in by_email
    by_number = _text(client.get(f"/staff/orders/?q={b.number[3:7].lower()}"))
    assert b.number in by_number and a.number not in by_number
    by_state = _text(client.get("/staff/orders/?state=fulfilled"))
    assert b.number in by_state and a.number not in by_state
    assert "No order matches." in _text(client.get("/staff/orders/?q=%25_"))
    assert client.get("/staff/orders/?state=bogus").status_code == 200
    assert client.get("/staff/orders/CC-22222222").status_code == 404


def test_the_order_page_shows_the_lines_tax_and_history(
    app: Flask, client: FlaskClient, db_session: Session, clock: TestClock, staff: User
) -> None:
    order = _paid(app, db_session, clock)
    text = _text(client.get(f"/staff/orders/{order.number}"))
    assert "net €41.67, VAT 20% €8.33" in text
    assert "Total €72.90" in text
    assert "Mark as shipped" in text
    assert "placed by buyer@example.test" in text


def test_shipping_with_a_tracking_number_tells_the_buyer(
    app: Flask,
    client: FlaskClient,
    db_session: Session,
    clock: TestClock,
    staff: User,
    fake_gateway: FakeGateway,
) -> None:
    order = _paid(app, db_session, clock)
    response = client.post(
        f"/staff/orders/{order.number}/fulfil", data={"tracking_number": " 1Z999AA1 "}
    )
    assert (response.status_code, response.headers["Location"]) == (
        302,
        f"/staff/orders/{order.number}",
    )
    db_session.expire_all()
    order = db_session.get_one(Order, order.id)
    assert (order.state, order.tracking_number, order.fulfilled_at) == (
        S.FULFILLED,
        "1Z999AA1",
        clock.now(),
    )
    move = db_session.scalars(select(OrderTransition).order_by(OrderTransition.id.desc())).first()
    assert move is not None and (move.actor_id, move.to_state) == (staff.id, S.FULFILLED)
    (sent,) = mail.outbox(app)
    assert sent.subject == f"Your order {order.number} has shipped"
    assert "Tracking number: 1Z999AA1" in sent.body
    # A second click: refused with a message, nothing sent again.
    again = client.post(f"/staff/orders/{order.number}/fulfil", data={"tracking_number": "X"})
    assert again.status_code == 409
    assert "This order was already shipped." in _text(again)
    assert len(mail.outbox(app)) == 1


def test_shipping_needs_a_tracking_number(
    app: Flask, client: FlaskClient, db_session: Session, clock: TestClock, staff: User
) -> None:
    order = _paid(app, db_session, clock)
    response = client.post(f"/staff/orders/{order.number}/fulfil", data={"tracking_number": ""})
    assert response.status_code == 422
    assert "Please enter the tracking number." in _text(response)


def test_an_unpaid_order_cannot_ship(
    app: Flask, client: FlaskClient, db_session: Session, clock: TestClock, staff: User
) -> None:
    order = place(db_session, settings(app), [(VariantFactory(), 1)], now=clock.now())
    db_session.commit()
    response = client.post(f"/staff/orders/{order.number}/fulfil", data={"tracking_number": "T1"})
    assert response.status_code == 409
    assert "This order is awaiting payment, so it cannot be marked “shipped”." in _text(response)


def test_refunding_one_line_through_the_gateway(
    app: Flask,
    client: FlaskClient,
    db_session: Session,
    clock: TestClock,
    staff: User,
    fake_gateway: FakeGateway,
) -> None:
    order = _paid(app, db_session, clock)
    tee, tote = order.lines
    response = client.post(
        f"/staff/orders/{order.number}/refund",
        data={f"qty-{tee.id}": "1", f"qty-{tote.id}": "", "scope": "lines", "reason": "Torn seam"},
    )
    assert response.status_code == 302
    assert [(r.payment_reference, r.amount) for r in fake_gateway.refunds] == [
        (order.payment_reference, eur(2500))
    ]
    db_session.expire_all()
    order = db_session.get_one(Order, order.id)
    assert order.state is S.PARTIALLY_REFUNDED
    (refund,) = db_session.scalars(select(Refund)).all()
    assert (refund.state, refund.requested_by_id, refund.reason, refund.amount) == (
        RefundState.DONE,
        staff.id,
        "Torn seam",
        eur(2500),
    )
    assert [m.subject for m in mail.outbox(app)] == [f"A refund for your order {order.number}"]
    page = _text(client.get(f"/staff/orders/{order.number}"))
    assert "Stan Staff €25.00 Torn seam done" in page
    assert "partially refunded" in page


def test_refunding_the_whole_order_includes_shipping(
    app: Flask,
    client: FlaskClient,
    db_session: Session,
    clock: TestClock,
    staff: User,
    fake_gateway: FakeGateway,
) -> None:
    order = _paid(app, db_session, clock)
    response = client.post(
        f"/staff/orders/{order.number}/refund", data={"scope": "whole", "reason": "Lost"}
    )
    assert response.status_code == 302
    assert [r.amount for r in fake_gateway.refunds] == [eur(7290)]
    db_session.expire_all()
    assert db_session.get_one(Order, order.id).state is S.REFUNDED
    page = client.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    assert "Refund everything left" not in page  # nothing left to refund


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"qty-TEE": "3", "reason": "r"},
            "Only 2 units of “Tee”, T-shirt, black, M can still be refunded.",
        ),
        ({"qty-TEE": "1.5", "reason": "r"}, "Quantities must be whole numbers."),
        ({"qty-TEE": "-1", "reason": "r"}, "Quantities must be whole numbers."),
        ({"qty-TEE": "1", "reason": ""}, "Please say why this order is refunded."),
        ({"reason": "r"}, "Choose at least one unit to refund."),
    ],
)
def test_impossible_refunds_are_refused_with_a_422(
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
    assert fake_gateway.refunds == []
    assert db_session.scalars(select(Refund)).all() == []


def test_an_order_by_id_leads_to_its_desk_page(
    app: Flask, client: FlaskClient, db_session: Session, clock: TestClock, staff: User
) -> None:
    order = _paid(app, db_session, clock)
    response = client.get(f"/staff/orders/id/{order.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/orders/{order.number}"
    assert client.get(f"/staff/orders/id/{order.id + 1000}").status_code == 404


@pytest.mark.usefixtures("request_ctx", "fake_gateway")
def test_shipping_and_refunds_appear_in_the_staff_audit_log(
    app: Flask, client: FlaskClient, auth: Any, db_session: Session, clock: TestClock
) -> None:
    from cocreate.shop import desk

    order = _paid(app, db_session, clock)
    stan = StaffFactory(display_name="Stan Staff")
    AdminFactory(email="ada@example.test", display_name="Ada Admin")
    desk.fulfil(db_session, order, stan, tracking_number="LP123456789FR", at=clock.now())
    tee = next(line for line in order.lines if line.product == "tee")
    desk.refund(
        db_session,
        order,
        stan,
        quantities={tee.id: 1},
        whole=False,
        reason="Print flaking",
        at=clock.now(),
    )
    db_session.commit()
    auth.login("ada@example.test")
    text = _text(client.get("/staff/audit"))
    assert f"Stan Staff Order refunded {order.number} Print flaking" in text
    assert f"Stan Staff Order shipped {order.number}" in text
    assert f'href="/staff/orders/id/{order.id}"' in client.get("/staff/audit").get_data(
        as_text=True
    )
