"""The Stripe path end to end with the real shop, against the loopback fake of Stripe: the
buyer's cart checked out to a Checkout Session with server prices, the signed success webhook
paying the order, a staff refund sent by the outbox and confirmed by webhook, a full refund
whose webhook never came applied by `reconcile-stripe`, and replays that change nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.core import jobs, mail
from cocreate.core.clock import TestClock
from cocreate.production.models import Variant
from cocreate.shop import desk
from cocreate.shop.models import Order, OrderState
from tests.accounts.factories import StaffFactory
from tests.payments.conftest import SECRET, STRIPE
from tests.payments.fake_stripe import FakeStripe
from tests.shop.checkout_factories import VariantFactory

FORM = {
    "email": "camille@example.test",
    "name": "Camille Martin",
    "line1": "12 rue des Lilas",
    "line2": "",
    "city": "Lyon",
    "postcode": "69003",
    "country": "FR",
}


@pytest.fixture
def app_overrides(stripe_fake: FakeStripe) -> dict[str, Any]:
    return {**STRIPE, "STRIPE_API_BASE": stripe_fake.url}


def _webhook(
    client: FlaskClient, clock: TestClock, kind: str, obj: dict[str, Any], **kw: Any
) -> Any:
    """Deliver `obj` as a Stripe event, signed here as Stripe signs: HMAC-SHA256 of "t.body"."""
    body = json.dumps(
        {
            "id": kw.get("event_id", "evt_1"),
            "object": "event",
            "type": kind,
            "created": int(clock.now().timestamp()),
            "livemode": False,
            "data": {"object": obj},
        }
    ).encode()
    t = int(clock.now().timestamp())
    secret = kw.get("secret", SECRET)
    v1 = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return client.post(
        "/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": f"t={t},v1={v1}"},
        content_type="application/json",
    )


def _order(session: Session) -> Order:
    session.expire_all()
    return session.scalars(select(Order)).one()


def _stock(session: Session, variant_id: int) -> int:
    session.expire_all()
    return session.get_one(Variant, variant_id).stock_on_hand


def test_checkout_pay_refund_reconcile_and_replay(
    app: Flask, client: FlaskClient, db_session: Session, clock: TestClock, fake: FakeStripe
) -> None:
    tee = VariantFactory(stock_on_hand=10, design__title="Midnight Tide")
    staff = StaffFactory()
    db_session.commit()
    tee_id = tee.id

    # 1. A guest puts two tees in the cart and checks out: off to Stripe's hosted page.
    assert client.post("/cart/add", data={"variant_id": tee_id, "quantity": 2}).status_code == 302
    response = client.post("/checkout", data=FORM)
    (session_id,) = fake.sessions
    sent = fake.sessions[session_id]
    assert (response.status_code, response.headers["Location"]) == (
        302,
        f"https://checkout.stripe.test/c/pay/{session_id}",
    )
    order = _order(db_session)
    assert order.state is OrderState.PENDING_PAYMENT
    assert order.checkout_reference == session_id
    assert [(i["quantity"], i["price_data"]["unit_amount"]) for i in sent["line_items_sent"]] == [
        (2, 2500)
    ]
    assert sent["line_items_sent"][0]["price_data"]["currency"] == "eur"
    assert (sent["amount_subtotal"], sent["amount_total"]) == (5000, 5490)
    assert sent["client_reference_id"] == order.number
    assert sent["customer_email"] == "camille@example.test"
    # The reservation ends at 09:30; Stripe needs a session 30 minutes away at least, so the
    # gateway asks for 31 (the shop expires the session itself when the reservation ends).
    assert order.expires_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert sent["expires_at"] == int(datetime(2026, 3, 2, 9, 31, tzinfo=UTC).timestamp())
    assert _stock(db_session, tee_id) == 8

    # 2. The buyer pays; Stripe sends checkout.session.completed, signed.
    paid = fake.complete(session_id)
    clock.advance(timedelta(minutes=2))
    response = _webhook(client, clock, "checkout.session.completed", paid, event_id="evt_paid")
    assert (response.status_code, response.json) == (200, {"received": True, "outcome": "applied"})
    order = _order(db_session)
    assert (order.state, order.payment_reference) == (OrderState.PAID, paid["payment_intent"])
    assert _stock(db_session, tee_id) == 8
    jobs.deliver(app)
    assert [m.subject for m in mail.outbox(app)] == [f"Your order {order.number} is confirmed"]

    # 5a. A replay of the paid webhook changes nothing; a bad signature is refused.
    response = _webhook(client, clock, "checkout.session.completed", paid, event_id="evt_paid")
    assert (response.status_code, response.json["outcome"]) == (200, "duplicate")
    # The same payment under another event id (a resent event): the shop has it already.
    response = _webhook(client, clock, "checkout.session.completed", paid, event_id="evt_paid2")
    assert (response.status_code, response.json["outcome"]) == (200, "no change")
    response = _webhook(
        client, clock, "checkout.session.completed", paid, event_id="evt_x", secret="whsec_wrong"
    )
    assert response.status_code == 400
    assert _order(db_session).state is OrderState.PAID
    assert _stock(db_session, tee_id) == 8
    assert len(mail.outbox(app)) == 1

    # 3. Staff refund one tee at the desk; the outbox asks Stripe, Stripe's webhook confirms.
    (line,) = order.lines
    with app.test_request_context():
        g.db_session = db_session
        g.after_commit = []
        desk.refund(
            db_session,
            order,
            staff,
            quantities={line.id: 1},
            whole=False,
            reason="r",
            at=clock.now(),
        )
        db_session.commit()
    jobs.deliver(app)
    (asked,) = [r for r in fake.requests if r.path == "/v1/refunds"]
    assert (asked.form["payment_intent"], asked.form["amount"]) == (paid["payment_intent"], "2500")
    assert _order(db_session).state is OrderState.PAID  # not before Stripe confirms
    (first,) = fake.refunds.values()
    clock.advance(timedelta(minutes=5))
    response = _webhook(client, clock, "refund.updated", first, event_id="evt_refund_1")
    assert response.json["outcome"] == "applied"
    assert _order(db_session).state is OrderState.PARTIALLY_REFUNDED

    # 4. The rest is refunded; its webhook never comes, reconciliation applies it, once.
    order = _order(db_session)
    with app.test_request_context():
        g.db_session = db_session
        g.after_commit = []
        desk.refund(db_session, order, staff, quantities={}, whole=True, reason="r", at=clock.now())
        db_session.commit()
    jobs.deliver(app)
    amounts = [r.form["amount"] for r in fake.requests if r.path == "/v1/refunds"]
    assert amounts == ["2500", "2990"]
    (rest,) = [r for r in fake.refunds.values() if r["id"] != first["id"]]
    fake.now = int(clock.now().timestamp())
    fake.add_event("refund.updated", rest)
    assert _order(db_session).state is OrderState.PARTIALLY_REFUNDED
    runner = app.test_cli_runner()
    result = runner.invoke(args=["payments", "reconcile-stripe"])
    assert result.output == "Listed 1 event(s): applied 1, 0 already stored, 0 unreadable.\n"
    assert _order(db_session).state is OrderState.REFUNDED
    result = runner.invoke(args=["payments", "reconcile-stripe"])
    assert result.output == "Listed 1 event(s): applied 0, 1 already stored, 0 unreadable.\n"
    assert _order(db_session).state is OrderState.REFUNDED

    # 5b. Replays of the paid and the first refund's webhooks change nothing now either.
    for kind, obj, event_id in [
        ("checkout.session.completed", paid, "evt_paid"),
        ("refund.updated", first, "evt_refund_1"),
    ]:
        response = _webhook(client, clock, kind, obj, event_id=event_id)
        assert (response.status_code, response.json["outcome"]) == (200, "duplicate")
    assert _order(db_session).state is OrderState.REFUNDED
    assert _stock(db_session, tee_id) == 8
    jobs.deliver(app)
    assert sorted(m.subject for m in mail.outbox(app)) == [
        f"A refund for your order {order.number}",
        f"A refund for your order {order.number}",
        f"Your order {order.number} is confirmed",
    ]


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("checkout.session.expired", "expired"),
        ("checkout.session.async_payment_failed", "complete"),
    ],
)
def test_an_expired_or_failed_checkout_gives_the_stock_back(
    client: FlaskClient,
    db_session: Session,
    clock: TestClock,
    fake: FakeStripe,
    kind: str,
    status: str,
) -> None:
    """Payments calls the shop's checkout_expired and payment_failed by name: they exist."""
    tee = VariantFactory(stock_on_hand=3)
    db_session.commit()
    tee_id = tee.id
    assert client.post("/cart/add", data={"variant_id": tee_id, "quantity": 3}).status_code == 302
    assert client.post("/checkout", data=FORM).status_code == 302
    assert _stock(db_session, tee_id) == 0
    (session_id,) = fake.sessions
    obj = {**fake.sessions[session_id], "status": status}
    clock.advance(timedelta(minutes=31))
    response = _webhook(client, clock, kind, obj, event_id="evt_end")
    assert (response.status_code, response.json["outcome"]) == (200, "applied")
    assert _order(db_session).state is OrderState.CANCELLED
    assert _stock(db_session, tee_id) == 3
    response = _webhook(client, clock, kind, obj, event_id="evt_end_again")
    assert (response.status_code, response.json["outcome"]) == (200, "no change")
    assert _stock(db_session, tee_id) == 3
