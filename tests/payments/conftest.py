"""Payments fixtures: the shop's stand-in, signed deliveries, and fake Stripe servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cocreate.core.clock import TestClock
from cocreate.payments import webhooks
from cocreate.payments.shop_link import use_shop_events
from tests.conftest import TEST_START
from tests.payments import fake_stripe, localstripe_server
from tests.payments.fake_shop import FakeShop

SECRET = "whsec_test_0123456789abcdef"
STRIPE = {
    "PAYMENT_GATEWAY": "stripe",
    "STRIPE_SECRET_KEY": "sk_test_payments",
    "STRIPE_WEBHOOK_SECRET": SECRET,
}


@pytest.fixture
def shop(app: Flask) -> FakeShop:
    fake = FakeShop()
    use_shop_events(app, fake)
    return fake


def event(kind: str, obj: dict[str, Any], *, event_id: str = "evt_1", created: int = 0) -> bytes:
    """A Stripe event's body, as Stripe sends it."""
    payload = {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": created or int(TEST_START.timestamp()),
        "livemode": False,
        "data": {"object": obj},
    }
    return json.dumps(payload, indent=2).encode()


def session_object(
    session_id: str = "cs_test_1",
    *,
    payment_status: str = "paid",
    intent: str | None = "pi_1",
    amount_total: int = 4980,
    currency: str = "eur",
) -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "checkout.session",
        "payment_status": payment_status,
        "payment_intent": intent,
        "amount_total": amount_total,
        "currency": currency,
        "client_reference_id": "CC-1001",
        "metadata": {"order_number": "CC-1001"},
    }


def refund_object(
    refund_id: str = "re_1", *, intent: str = "pi_1", amount: int = 1000, status: str = "succeeded"
) -> dict[str, Any]:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "currency": "eur",
        "payment_intent": intent,
        "status": status,
    }


class Deliverer:
    """Sends signed webhook deliveries, the way Stripe does, at the test clock's time."""

    def __init__(self, client: FlaskClient, clock: TestClock) -> None:
        self.client = client
        self.clock = clock

    def header(self, body: bytes, *, secret: str = SECRET, at: int | None = None) -> str:
        timestamp = int(self.clock.now().timestamp()) if at is None else at
        return f"t={timestamp},v1={webhooks.signature(secret, timestamp, body)}"

    def send(self, body: bytes, header: str | None = None) -> Any:
        headers = {"Stripe-Signature": header if header is not None else self.header(body)}
        return self.client.post(
            "/webhooks/stripe", data=body, headers=headers, content_type="application/json"
        )


@pytest.fixture
def deliver(client: FlaskClient, clock: TestClock) -> Deliverer:
    return Deliverer(client, clock)


@pytest.fixture(scope="session")
def stripe_fake() -> Iterator[fake_stripe.FakeStripe]:
    with fake_stripe.serve() as state:
        yield state


@pytest.fixture
def fake(stripe_fake: fake_stripe.FakeStripe) -> fake_stripe.FakeStripe:
    """The session's fake Stripe, emptied for this test, its clock at the test clock's start."""
    stripe_fake.now = int(TEST_START.timestamp())
    stripe_fake.sessions.clear()
    stripe_fake.refunds.clear()
    stripe_fake.events.clear()
    stripe_fake.requests.clear()
    stripe_fake.idempotent.clear()
    return stripe_fake


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("localstripe")
    with localstripe_server.serve(folder) as url:
        yield url, folder
