"""The demo gateway: its checkout, its in-app page (success, decline, cancel) and its refunds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cocreate.core.clock import TestClock
from cocreate.core.money import Money
from cocreate.payments.demo import DemoGateway
from cocreate.payments.models import DemoCheckout, DemoState
from cocreate.shop import gateway
from cocreate.shop.gateway import CheckoutLine, CheckoutRequest, RefundStarted
from tests.payments.fake_shop import FakeOrder, FakeShop

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ENDS = START + timedelta(minutes=30)


def checkout_request(number: str = "CC-1001") -> CheckoutRequest:
    return CheckoutRequest(
        order_number=number,
        lines=(
            CheckoutLine("Midnight Tide, tee, black, M", Money(2500, "EUR"), 1),
            CheckoutLine("Midnight Tide, poster, A3", Money(1490, "EUR"), 2),
        ),
        shipping=Money(490, "EUR"),
        customer_email="buyer@example.test",
        success_url="http://localhost/orders/CC-1001",
        cancel_url="http://localhost/checkout",
        expires_at=ENDS,
        locale="en",
    )


@contextmanager
def shop_request(app: Flask, db_session: Session) -> Iterator[None]:
    """Where the shop calls the gateway: a request whose session is the test's. (Not left
    pushed: the test client's requests would share its `g`, and so its session.)"""
    with app.test_request_context():
        g.db_session = db_session
        g.after_commit = []
        yield
        db_session.flush()
        del g.db_session  # the test goes on with it: the context's teardown must not close it


@pytest.fixture
def started(
    app: Flask, clock: TestClock, db_session: Session, shop: FakeShop
) -> tuple[str, FakeOrder]:
    """A demo checkout for order CC-1001, as the shop's checkout starts it."""
    with shop_request(app, db_session):
        result = gateway.gateway().start_checkout(checkout_request())
    order = shop.add("CC-1001", result.reference, total=2500 + 2 * 1490 + 490)
    return result.reference, order


def checkout_row(db_session: Session, reference: str) -> DemoCheckout:
    row = db_session.get(DemoCheckout, reference)
    assert row is not None
    db_session.refresh(row)
    return row


def test_the_demo_is_the_default_gateway(app: Flask) -> None:
    with app.app_context():
        found = gateway.gateway()
    assert isinstance(found, DemoGateway)
    assert found.name == "demo"


def test_starting_stores_the_checkout_with_server_amounts(
    app: Flask, clock: TestClock, request_ctx: None, db_session: Session
) -> None:
    result = gateway.gateway().start_checkout(checkout_request())
    assert result.reference.startswith("demo_")
    assert len(result.reference) > 20
    assert result.redirect_url == f"/pay/demo/{result.reference}"
    row = checkout_row(db_session, result.reference)
    assert row.amount == Money(2500 + 2 * 1490 + 490, "EUR")
    assert (row.order_number, row.state, row.expires_at, row.created_at) == (
        "CC-1001",
        DemoState.OPEN,
        ENDS,
        START,
    )
    assert (row.success_url, row.cancel_url) == (
        "http://localhost/orders/CC-1001",
        "http://localhost/checkout",
    )
    assert row.payment_reference is None and row.decided_at is None
    assert gateway.gateway().start_checkout(checkout_request("CC-1002")).reference != (
        result.reference
    )


def test_the_page_says_no_money_moves_and_offers_three_outcomes(
    client: FlaskClient, started: tuple[str, FakeOrder]
) -> None:
    reference, _order = started
    page = client.get(f"/pay/demo/{reference}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "no money moves" in text
    assert "CC-1001" in text
    assert "€59.70" in text
    for choice in ("success", "decline", "cancel"):
        assert f'value="{choice}"' in text


def test_an_unknown_reference_is_404(client: FlaskClient, shop: FakeShop) -> None:
    assert client.get("/pay/demo/demo_nope").status_code == 404
    assert client.post("/pay/demo/demo_nope", data={"choice": "success"}).status_code == 404
    assert shop.calls == []


def test_success_pays_the_order_and_returns_to_the_order(
    client: FlaskClient, clock: TestClock, db_session: Session, started: tuple[str, FakeOrder],
    shop: FakeShop,
) -> None:  # fmt: skip
    reference, order = started
    clock.advance(timedelta(minutes=3))
    response = client.post(f"/pay/demo/{reference}", data={"choice": "success"})
    assert response.status_code == 303
    assert response.headers["Location"] == "http://localhost/orders/CC-1001"
    row = checkout_row(db_session, reference)
    assert row.state is DemoState.PAID
    assert row.decided_at == START + timedelta(minutes=3)
    assert row.payment_reference is not None and row.payment_reference.startswith("demo_pay_")
    assert shop.calls == [
        ("paid", "CC-1001", row.payment_reference, Money(5970, "EUR"), START + timedelta(minutes=3))
    ]
    assert order.state == "paid"
    closed = client.get(f"/pay/demo/{reference}").get_data(as_text=True)
    assert "See your order" in closed
    assert 'value="success"' not in closed


@pytest.mark.parametrize(
    ("choice", "call", "state"),
    [("decline", "failed", DemoState.DECLINED), ("cancel", "expired", DemoState.CANCELLED)],
)
def test_decline_and_cancel_end_the_order_and_return_to_checkout(
    client: FlaskClient, db_session: Session, started: tuple[str, FakeOrder], shop: FakeShop,
    choice: str, call: str, state: DemoState,
) -> None:  # fmt: skip
    reference, order = started
    response = client.post(f"/pay/demo/{reference}", data={"choice": choice})
    assert response.status_code == 303
    assert response.headers["Location"] == "http://localhost/checkout"
    assert shop.calls == [(call, "CC-1001", START)]
    assert order.state == "cancelled"
    row = checkout_row(db_session, reference)
    assert (row.state, row.decided_at, row.payment_reference) == (state, START, None)
    assert "Back to the shop" in client.get(f"/pay/demo/{reference}").get_data(as_text=True)


def test_a_decided_checkout_takes_no_second_choice(
    client: FlaskClient, db_session: Session, started: tuple[str, FakeOrder], shop: FakeShop
) -> None:
    reference, _order = started
    client.post(f"/pay/demo/{reference}", data={"choice": "success"})
    again = client.post(f"/pay/demo/{reference}", data={"choice": "decline"})
    assert again.status_code == 409
    assert "already closed" in again.get_data(as_text=True)
    assert [call[0] for call in shop.calls] == ["paid"]
    assert checkout_row(db_session, reference).state is DemoState.PAID


def test_the_checkout_closes_at_its_end(
    client: FlaskClient, clock: TestClock, db_session: Session, started: tuple[str, FakeOrder],
    shop: FakeShop,
) -> None:  # fmt: skip
    reference, _order = started
    clock.set(ENDS)
    response = client.post(f"/pay/demo/{reference}", data={"choice": "success"})
    assert response.status_code == 409
    assert shop.calls == []
    assert checkout_row(db_session, reference).state is DemoState.OPEN
    assert 'value="success"' not in client.get(f"/pay/demo/{reference}").get_data(as_text=True)


def test_the_checkout_is_open_until_its_last_second(
    client: FlaskClient, clock: TestClock, started: tuple[str, FakeOrder], shop: FakeShop
) -> None:
    reference, _order = started
    clock.set(ENDS - timedelta(seconds=1))
    assert 'value="success"' in client.get(f"/pay/demo/{reference}").get_data(as_text=True)
    assert client.post(f"/pay/demo/{reference}", data={"choice": "success"}).status_code == 303


@pytest.mark.parametrize("data", [{}, {"choice": ""}, {"choice": "refund"}, {"choice": "SUCCESS"}])
def test_an_unknown_choice_is_422(
    client: FlaskClient, db_session: Session, started: tuple[str, FakeOrder], shop: FakeShop,
    data: dict[str, str],
) -> None:  # fmt: skip
    reference, _order = started
    response = client.post(f"/pay/demo/{reference}", data=data)
    assert response.status_code == 422
    assert "Choose one of the three outcomes." in response.get_data(as_text=True)
    assert shop.calls == []


def test_a_checkout_without_its_order_is_404_and_unchanged(
    client: FlaskClient, db_session: Session, started: tuple[str, FakeOrder], shop: FakeShop
) -> None:
    reference, _order = started
    shop.orders.clear()
    assert client.post(f"/pay/demo/{reference}", data={"choice": "success"}).status_code == 404
    assert checkout_row(db_session, reference).state is DemoState.OPEN


def test_the_shop_cancelling_the_checkout_closes_the_page(
    app: Flask, client: FlaskClient, clock: TestClock, db_session: Session,
    started: tuple[str, FakeOrder], shop: FakeShop,
) -> None:  # fmt: skip
    reference, _order = started
    clock.advance(timedelta(minutes=30))
    with shop_request(app, db_session):
        gateway.gateway().cancel_checkout(reference)
    row = checkout_row(db_session, reference)
    assert (row.state, row.decided_at) == (DemoState.CANCELLED, START + timedelta(minutes=30))
    assert client.post(f"/pay/demo/{reference}", data={"choice": "success"}).status_code == 409
    assert shop.calls == []


def test_cancelling_a_paid_or_unknown_checkout_changes_nothing(
    app: Flask, client: FlaskClient, db_session: Session, started: tuple[str, FakeOrder]
) -> None:
    reference, _order = started
    client.post(f"/pay/demo/{reference}", data={"choice": "success"})
    with shop_request(app, db_session):
        gateway.gateway().cancel_checkout(reference)
        gateway.gateway().cancel_checkout("demo_unknown")
    assert checkout_row(db_session, reference).state is DemoState.PAID


def test_a_demo_refund_is_settled_at_once(app: Flask) -> None:
    with app.app_context():
        first = gateway.gateway().refund(
            payment_reference="demo_pay_x", amount=Money(1000, "EUR"), idempotency_key="r-1"
        )
        second = gateway.gateway().refund(
            payment_reference="demo_pay_x", amount=Money(1000, "EUR"), idempotency_key="r-2"
        )
    assert isinstance(first, RefundStarted)
    assert first.confirmed is True
    assert first.reference.startswith("demo_re_")
    assert first.reference != second.reference


def test_the_page_speaks_french(client: FlaskClient, started: tuple[str, FakeOrder]) -> None:
    reference, _order = started
    page = client.get(f"/pay/demo/{reference}", headers={"Accept-Language": "fr"})
    text = page.get_data(as_text=True)
    assert "aucun argent" in text
    assert "59,70\u00a0€" in text


class TestWithCsrf:
    @pytest.fixture
    def app_overrides(self) -> dict[str, Any]:
        return {"extra": {"WTF_CSRF_ENABLED": True}}

    def test_the_choice_needs_the_forms_token(
        self, client: FlaskClient, started: tuple[str, FakeOrder], shop: FakeShop
    ) -> None:
        reference, _order = started
        assert client.post(f"/pay/demo/{reference}", data={"choice": "success"}).status_code == 400
        assert shop.calls == []
        page = client.get(f"/pay/demo/{reference}").get_data(as_text=True)
        token = page.split('name="csrf_token" value="')[-1].split('"')[0]
        response = client.post(
            f"/pay/demo/{reference}", data={"choice": "success", "csrf_token": token}
        )
        assert response.status_code == 303

    def test_the_webhook_needs_no_token(self, client: FlaskClient, shop: FakeShop) -> None:
        # Refused by its signature (400 "missing signature"), not by CSRF.
        response = client.post("/webhooks/stripe", data=b"{}", content_type="application/json")
        assert response.status_code == 400
        assert response.json == {"error": "missing signature"}
