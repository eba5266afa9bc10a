"""The Stripe path end to end on the payments side, against the fake on 127.0.0.1: a checkout
with the right amounts, the signed success webhook, a refund and its webhook, and an event
whose webhook never came applied by reconciliation. (The shop is the stand-in until the
shop's orders exist; the coordinator's end-to-end test drives the real one.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from cocreate.core.clock import TestClock
from cocreate.core.money import Money
from cocreate.shop import gateway
from cocreate.shop.gateway import CheckoutLine, CheckoutRequest
from tests.conftest import TEST_START
from tests.payments.conftest import STRIPE, Deliverer, event
from tests.payments.fake_shop import FakeShop
from tests.payments.fake_stripe import FakeStripe


@pytest.fixture
def app_overrides(stripe_fake: FakeStripe) -> dict[str, Any]:
    return {**STRIPE, "STRIPE_API_BASE": stripe_fake.url}


def test_pay_refund_and_reconcile(
    app: Flask, clock: TestClock, deliver: Deliverer, fake: FakeStripe, shop: FakeShop
) -> None:
    request = CheckoutRequest(
        order_number="CC-1001",
        lines=(CheckoutLine("Midnight Tide, tee, black, M", Money(2500, "EUR"), 2),),
        shipping=Money(490, "EUR"),
        customer_email="buyer@example.test",
        success_url="http://localhost/orders/CC-1001",
        cancel_url="http://localhost/checkout",
        expires_at=TEST_START + timedelta(minutes=45),
        locale="en",
    )
    with app.test_request_context():
        started = gateway.gateway().start_checkout(request)
    order = shop.add("CC-1001", started.reference, total=5490)
    assert fake.sessions[started.reference]["amount_total"] == 5490

    # The buyer pays on Stripe's page; Stripe signs and sends checkout.session.completed.
    paid = fake.complete(started.reference)
    response = deliver.send(event("checkout.session.completed", paid, event_id="evt_paid"))
    assert response.json == {"received": True, "outcome": "applied"}
    assert (order.state, order.payment_reference) == ("paid", paid["payment_intent"])
    assert shop.calls[0][3] == Money(5490, "EUR")

    # Staff refund one tee: the gateway asks Stripe; Stripe's webhook confirms.
    with app.app_context():
        started_refund = gateway.gateway().refund(
            payment_reference=paid["payment_intent"],
            amount=Money(2500, "EUR"),
            idempotency_key="refund-1",
        )
    assert order.state == "paid"  # not before the webhook
    refund = fake.refunds[started_refund.reference]
    clock.advance(timedelta(minutes=5))
    response = deliver.send(event("refund.updated", refund, event_id="evt_refund"))
    assert response.json["outcome"] == "applied"
    assert order.state == "partially_refunded"

    # The rest is refunded, but that webhook never arrives: reconciliation applies it.
    with app.app_context():
        rest = gateway.gateway().refund(
            payment_reference=paid["payment_intent"],
            amount=Money(2990, "EUR"),
            idempotency_key="refund-2",
        )
    fake.now = int(clock.now().timestamp())
    fake.add_event("refund.created", fake.refunds[rest.reference])
    result = app.test_cli_runner().invoke(args=["payments", "reconcile-stripe"])
    assert result.output == "Listed 1 event(s): applied 1, 0 already stored, 0 unreadable.\n"
    assert order.state == "refunded"
    assert order.refunds == {
        started_refund.reference: Money(2500, "EUR"),
        rest.reference: Money(2990, "EUR"),
    }
