"""`flask payments reconcile-stripe`: events whose webhook never arrived, listed from the API."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.core.clock import TestClock
from cocreate.payments import reconcile as reconciliation
from cocreate.payments.models import StripeEvent
from tests.conftest import TEST_START
from tests.payments.conftest import STRIPE, Deliverer, event, refund_object, session_object
from tests.payments.fake_shop import FakeOrder, FakeShop
from tests.payments.fake_stripe import FakeStripe

T = int(TEST_START.timestamp())
DAY = 24 * 3600


@pytest.fixture
def app_overrides(stripe_fake: FakeStripe) -> dict[str, Any]:
    return {**STRIPE, "STRIPE_API_BASE": stripe_fake.url}


@pytest.fixture
def order(shop: FakeShop) -> FakeOrder:
    return shop.add("CC-1001", "cs_test_1")


def reconcile(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["payments", "reconcile-stripe", *args])


def rows(db_session: Session) -> list[StripeEvent]:
    db_session.expire_all()
    return list(db_session.scalars(select(StripeEvent).order_by(StripeEvent.created)))


def test_a_missed_payment_is_applied_once(
    app: Flask, clock: TestClock, db_session: Session, fake: FakeStripe, shop: FakeShop,
    order: FakeOrder,
) -> None:  # fmt: skip
    event_id = fake.add_event("checkout.session.completed", session_object(), created=T - 3600)
    result = reconcile(app)
    assert result.exit_code == 0, result.output
    assert result.output == "Listed 1 event(s): applied 1, 0 already stored, 0 unreadable.\n"
    assert order.state == "paid"
    assert [call[:3] for call in shop.calls] == [("paid", "CC-1001", "pi_1")]
    (row,) = rows(db_session)
    assert (row.id, row.source, row.outcome, row.order_number) == (
        event_id,
        "reconcile",
        "applied",
        "CC-1001",
    )
    again = reconcile(app)
    assert again.output == "Listed 1 event(s): applied 0, 1 already stored, 0 unreadable.\n"
    assert len(shop.calls) == 1


def test_events_the_webhook_delivered_are_not_applied_again(
    app: Flask, deliver: Deliverer, db_session: Session, fake: FakeStripe, shop: FakeShop,
    order: FakeOrder,
) -> None:  # fmt: skip
    event_id = fake.add_event("checkout.session.completed", session_object())
    assert deliver.send(event("checkout.session.completed", session_object(), event_id=event_id))
    result = reconcile(app)
    assert "applied 0, 1 already stored" in result.output
    assert len(shop.calls) == 1


def test_it_asks_for_the_last_days_of_the_handled_types(
    app: Flask, clock: TestClock, fake: FakeStripe, shop: FakeShop
) -> None:
    reconcile(app, "--days", "2")
    (seen,) = [r for r in fake.requests if r.path == "/v1/events"]
    assert seen.method == "GET"
    assert seen.headers["Authorization"] == "Bearer sk_test_payments"
    assert dict(seen.args.items()) == {
        "created[gte]": str(T - 2 * DAY),
        "limit": "100",
        "types[0]": "checkout.session.completed",
        "types[1]": "checkout.session.async_payment_succeeded",
        "types[2]": "checkout.session.async_payment_failed",
        "types[3]": "checkout.session.expired",
        "types[4]": "charge.refunded",
        "types[5]": "refund.created",
        "types[6]": "refund.updated",
    }


def test_only_events_since_the_window_start_are_applied(
    app: Flask, clock: TestClock, db_session: Session, fake: FakeStripe, shop: FakeShop,
    order: FakeOrder,
) -> None:  # fmt: skip
    shop.add("CC-1002", "cs_test_2")
    fake.add_event("checkout.session.completed", session_object(), created=T - 3 * DAY)
    fake.add_event(
        "checkout.session.completed", session_object("cs_test_2"), created=T - 3 * DAY - 1
    )
    fake.add_event("customer.created", {"id": "cus_1"}, created=T)
    result = reconcile(app)  # three days by default, the window's first second included
    assert result.output.startswith("Listed 1 event(s): applied 1")
    assert [call[1] for call in shop.calls] == ["CC-1001"]
    assert "Listed 2 event(s)" in reconcile(app, "--days", "4").output


def test_events_are_applied_oldest_first(
    app: Flask, clock: TestClock, db_session: Session, fake: FakeStripe, shop: FakeShop,
    order: FakeOrder,
) -> None:  # fmt: skip
    # Stripe lists newest first. Applied in that order, the expiry would cancel the order
    # before its payment arrived; in the order things happened, the expiry changes nothing.
    fake.add_event("checkout.session.completed", session_object(), created=T - 60)
    expired = session_object(payment_status="unpaid", intent=None)
    fake.add_event("checkout.session.expired", expired, created=T - 30)
    reconcile(app)
    assert [call[0] for call in shop.calls] == ["paid"]
    assert [row.outcome for row in rows(db_session)] == ["applied", "no change"]


def test_all_pages_are_read(
    app: Flask, clock: TestClock, db_session: Session, fake: FakeStripe, shop: FakeShop,
    order: FakeOrder,
) -> None:  # fmt: skip
    for n in range(101):
        fake.add_event("refund.updated", refund_object(f"re_{n}", status="pending"), T - n)
    result = reconcile(app)
    assert result.output == "Listed 101 event(s): applied 101, 0 already stored, 0 unreadable.\n"
    assert len([r for r in fake.requests if r.path == "/v1/events"]) == 2


def test_an_unreadable_event_is_counted_and_skipped(
    app: Flask, clock: TestClock, db_session: Session, fake: FakeStripe, shop: FakeShop,
    order: FakeOrder,
) -> None:  # fmt: skip
    fake.add_event("checkout.session.completed", session_object(), created=T - 60)
    fake.add_event("checkout.session.completed", None, created=T - 30)  # type: ignore[arg-type]
    result = reconcile(app)
    assert result.output == "Listed 2 event(s): applied 1, 0 already stored, 1 unreadable.\n"


@pytest.mark.parametrize("days", ["0", "31", "x"])
def test_the_window_is_one_to_thirty_days(app: Flask, fake: FakeStripe, days: str) -> None:
    result = reconcile(app, "--days", days)
    assert result.exit_code == 2
    assert fake.requests == []


class TestWithoutStripe:
    @pytest.fixture
    def app_overrides(self) -> dict[str, Any]:
        return {}

    def test_it_refuses_without_a_secret_key(self, app: Flask) -> None:
        result = reconcile(app)
        assert result.exit_code == 1
        assert "STRIPE_SECRET_KEY is not set" in result.output


class _Listed:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def to_dict(self) -> dict[str, Any]:
        return self.data


def test_listed_events_are_sorted_oldest_first_even_with_garbage() -> None:
    listed = [
        {"id": "evt_b", "created": T},
        {"id": "evt_a", "created": T},
        {"id": None, "created": "yesterday"},
        {"id": "evt_c", "created": T - 1},
    ]
    page = SimpleNamespace(auto_paging_iter=lambda: iter(_Listed(item) for item in listed))
    client = SimpleNamespace(v1=SimpleNamespace(events=SimpleNamespace(list=lambda params: page)))
    events = reconciliation.recent_events(client, TEST_START)  # type: ignore[arg-type]
    assert [event["id"] for event in events] == [None, "evt_c", "evt_a", "evt_b"]
