"""Applying stored Stripe events to orders: each type, repeats, and events out of order.

The shop is the stand-in of tests/payments/fake_shop.py; its `calls` show every request
payments made of the shop, so a repeat that reaches the shop at all is caught here.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.core.lifecycle import InvalidTransition
from cocreate.core.money import Money
from cocreate.payments import webhooks
from cocreate.payments.models import DemoCheckout, StripeEvent
from cocreate.payments.webhooks import Outcome
from tests.payments.conftest import refund_object, session_object
from tests.payments.fake_shop import FakeOrder, FakeShop

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CREATED = datetime(2026, 3, 2, 8, 59, 30, tzinfo=UTC)
EUR = "EUR"


@pytest.fixture
def order(shop: FakeShop) -> FakeOrder:
    return shop.add("CC-1001", "cs_test_1")


def deliver(
    db_session: Session,
    shop: FakeShop,
    kind: str,
    obj: dict[str, Any],
    event_id: str = "evt_1",
    source: str = "webhook",
) -> Outcome:
    payload = {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": int(CREATED.timestamp()),
        "data": {"object": obj},
    }
    event = webhooks.envelope(payload)
    return webhooks.handle(db_session, event, shop=shop, now=NOW, source=source)


def stored(db_session: Session, event_id: str = "evt_1") -> StripeEvent:
    row = db_session.get(StripeEvent, event_id)
    assert row is not None
    return row


def count(db_session: Session) -> int:
    return db_session.scalar(select(func.count()).select_from(StripeEvent)) or 0


# --- Payment -------------------------------------------------------------------------------------


def test_completed_and_paid_marks_the_order_paid(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    outcome = deliver(db_session, shop, "checkout.session.completed", session_object())
    assert outcome is Outcome.APPLIED
    assert shop.calls == [("paid", "CC-1001", "pi_1", Money(4980, EUR), NOW)]
    assert order.state == "paid"
    row = stored(db_session)
    assert (row.type, row.created, row.received_at, row.processed_at) == (
        "checkout.session.completed",
        CREATED,
        NOW,
        NOW,
    )
    assert (row.outcome, row.order_number, row.payment_intent, row.source) == (
        "applied",
        "CC-1001",
        "pi_1",
        "webhook",
    )
    assert row.payload["data"]["object"]["id"] == "cs_test_1"


def test_a_repeated_event_id_changes_nothing(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    deliver(db_session, shop, "checkout.session.completed", session_object())
    again = deliver(db_session, shop, "checkout.session.completed", session_object())
    assert again is Outcome.DUPLICATE
    assert len(shop.calls) == 1
    assert count(db_session) == 1
    # Even a different body under the same id is the same event: the stored one stands.
    other = deliver(db_session, shop, "checkout.session.expired", session_object())
    assert other is Outcome.DUPLICATE
    assert (len(shop.calls), order.state, count(db_session)) == (1, "paid", 1)
    assert stored(db_session).type == "checkout.session.completed"


def test_a_second_paid_event_for_the_same_payment_is_no_change(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    deliver(db_session, shop, "checkout.session.completed", session_object())
    outcome = deliver(
        db_session, shop, "checkout.session.async_payment_succeeded", session_object(), "evt_2"
    )
    assert outcome is Outcome.NO_CHANGE
    assert len(shop.calls) == 1
    assert stored(db_session, "evt_2").processed_at == NOW


def test_currency_is_read_in_upper_case_and_amount_in_minor_units(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    obj = session_object(amount_total=123_456, currency="usd")
    deliver(db_session, shop, "checkout.session.completed", obj)
    assert shop.calls[0][3] == Money(123_456, "USD")


def test_delayed_payment_waits_for_the_async_events(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    unpaid = session_object(payment_status="unpaid")
    assert (
        deliver(db_session, shop, "checkout.session.completed", unpaid) is Outcome.AWAITING_PAYMENT
    )
    assert shop.calls == []
    assert order.state == "pending_payment"
    assert stored(db_session).order_number == "CC-1001"
    outcome = deliver(
        db_session, shop, "checkout.session.async_payment_succeeded", session_object(), "evt_2"
    )
    assert outcome is Outcome.APPLIED
    assert shop.calls == [("paid", "CC-1001", "pi_1", Money(4980, EUR), NOW)]


def test_async_failure_cancels_a_pending_order(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    obj = session_object(payment_status="unpaid")
    outcome = deliver(db_session, shop, "checkout.session.async_payment_failed", obj)
    assert outcome is Outcome.APPLIED
    assert shop.calls == [("failed", "CC-1001", NOW)]
    assert order.state == "cancelled"


def test_async_failure_after_payment_changes_nothing(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    deliver(db_session, shop, "checkout.session.completed", session_object())
    outcome = deliver(
        db_session, shop, "checkout.session.async_payment_failed", session_object(), "evt_2"
    )
    assert outcome is Outcome.NO_CHANGE
    assert [call[0] for call in shop.calls] == ["paid"]


def test_expiry_cancels_a_pending_order(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    obj = session_object(payment_status="unpaid", intent=None)
    assert deliver(db_session, shop, "checkout.session.expired", obj) is Outcome.APPLIED
    assert shop.calls == [("expired", "CC-1001", NOW)]
    assert order.state == "cancelled"
    assert stored(db_session).payment_intent is None


def test_expiry_arriving_after_completion_changes_nothing(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    deliver(db_session, shop, "checkout.session.completed", session_object(), "evt_2")
    expired = session_object(payment_status="unpaid", intent=None)
    assert deliver(db_session, shop, "checkout.session.expired", expired) is Outcome.NO_CHANGE
    assert order.state == "paid"
    assert [call[0] for call in shop.calls] == ["paid"]


def test_payment_after_expiry_is_handed_to_the_shop(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    # The shop decides what a late payment does (re-reserve, or refund automatically).
    expired = session_object(payment_status="unpaid", intent=None)
    deliver(db_session, shop, "checkout.session.expired", expired)
    outcome = deliver(db_session, shop, "checkout.session.completed", session_object(), "evt_2")
    assert outcome is Outcome.APPLIED
    assert shop.calls[1] == ("paid", "CC-1001", "pi_1", Money(4980, EUR), NOW)


def test_an_unknown_checkout_is_stored_and_changes_nothing(
    db_session: Session, shop: FakeShop, order: FakeOrder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cocreate.payments.webhooks")
    obj = session_object("cs_test_elsewhere")
    assert deliver(db_session, shop, "checkout.session.completed", obj) is Outcome.UNKNOWN_ORDER
    assert caplog.messages == ["Stripe checkout cs_test_elsewhere matches no order"]
    assert shop.calls == []
    row = stored(db_session)
    assert (row.outcome, row.order_number, row.processed_at) == ("unknown order", None, NOW)


def test_other_event_types_are_stored_and_ignored(db_session: Session, shop: FakeShop) -> None:
    outcome = deliver(db_session, shop, "customer.created", {"id": "cus_1"})
    assert outcome is Outcome.IGNORED
    assert (stored(db_session).outcome, stored(db_session).processed_at) == ("ignored", NOW)
    assert shop.calls == []


MISSING_AMOUNT = "amount_total or currency is missing"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"id": None}, "id is missing"),
        ({"id": ""}, "id is missing"),
        ({"payment_intent": None}, "payment_intent is missing"),
        ({"amount_total": None}, MISSING_AMOUNT),
        ({"amount_total": -1}, MISSING_AMOUNT),
        ({"amount_total": "4980"}, MISSING_AMOUNT),
        ({"amount_total": True}, MISSING_AMOUNT),
        ({"currency": None}, MISSING_AMOUNT),
        ({"currency": 978}, MISSING_AMOUNT),
        ({"currency": "qqq"}, "unknown currency 'qqq'"),
        ({"payment_status": None}, "payment_status is missing"),
    ],
)
def test_a_malformed_checkout_is_kept_and_changes_nothing(
    db_session: Session, shop: FakeShop, order: FakeOrder, caplog: pytest.LogCaptureFixture,
    changes: dict[str, Any], reason: str,
) -> None:  # fmt: skip
    obj = {**session_object(), **changes}
    assert deliver(db_session, shop, "checkout.session.completed", obj) is Outcome.MALFORMED
    assert caplog.messages == [
        f"Stripe event evt_1 (checkout.session.completed) is malformed: {reason}"
    ]
    assert shop.calls == []
    assert order.state == "pending_payment"
    assert (stored(db_session).outcome, stored(db_session).processed_at) == ("malformed", NOW)


def test_a_free_checkout_changes_nothing(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    obj = session_object(payment_status="no_payment_required")
    assert deliver(db_session, shop, "checkout.session.completed", obj) is Outcome.NO_CHANGE
    assert shop.calls == []


def test_an_amount_of_zero_is_passed_on(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    deliver(db_session, shop, "checkout.session.completed", session_object(amount_total=0))
    assert shop.calls[0][3] == Money(0, EUR)


# --- Refunds -------------------------------------------------------------------------------------


def paid(db_session: Session, shop: FakeShop) -> None:
    deliver(db_session, shop, "checkout.session.completed", session_object(), "evt_paid")


@pytest.mark.parametrize("kind", ["refund.created", "refund.updated"])
def test_a_settled_refund_is_confirmed_by_its_id(
    db_session: Session, shop: FakeShop, order: FakeOrder, kind: str
) -> None:
    paid(db_session, shop)
    assert deliver(db_session, shop, kind, refund_object()) is Outcome.APPLIED
    assert shop.calls[1] == ("refunded", "CC-1001", "re_1", Money(1000, EUR), NOW)
    assert order.state == "partially_refunded"
    row = stored(db_session)
    assert (row.order_number, row.payment_intent, row.processed_at) == ("CC-1001", "pi_1", NOW)


def test_refunds_adding_up_to_the_total_refund_the_order(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    paid(db_session, shop)
    deliver(db_session, shop, "refund.updated", refund_object("re_1", amount=980), "evt_1")
    deliver(db_session, shop, "refund.updated", refund_object("re_2", amount=4000), "evt_2")
    assert order.refunds == {"re_1": Money(980, EUR), "re_2": Money(4000, EUR)}
    assert order.state == "refunded"


@pytest.mark.parametrize("status", ["pending", "failed", "canceled", "requires_action", None])
def test_an_unsettled_refund_changes_nothing(
    db_session: Session, shop: FakeShop, order: FakeOrder, status: str | None
) -> None:
    paid(db_session, shop)
    outcome = deliver(db_session, shop, "refund.updated", refund_object(status=str(status)))
    assert outcome is Outcome.NO_CHANGE
    assert [call[0] for call in shop.calls] == ["paid"]
    assert stored(db_session).processed_at == NOW


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"id": None}, "id is missing"),
        ({"amount": None}, "amount or currency is missing"),
        ({"payment_intent": None}, "payment_intent is missing"),
        ({"currency": "??"}, "unknown currency '??'"),
    ],
)
def test_a_malformed_refund_changes_nothing(
    db_session: Session, shop: FakeShop, order: FakeOrder, caplog: pytest.LogCaptureFixture,
    changes: dict[str, Any], reason: str,
) -> None:  # fmt: skip
    paid(db_session, shop)
    obj = {**refund_object(), **changes}
    assert deliver(db_session, shop, "refund.updated", obj) is Outcome.MALFORMED
    assert caplog.messages == [f"Stripe event evt_1 (refund.updated) is malformed: {reason}"]
    assert [call[0] for call in shop.calls] == ["paid"]


def test_a_refund_before_its_payment_waits_then_applies(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    # Stripe does not order deliveries: the refund's event can come before the payment's.
    assert deliver(db_session, shop, "refund.updated", refund_object(), "evt_r") is Outcome.WAITING
    waiting = stored(db_session, "evt_r")
    assert (waiting.outcome, waiting.processed_at, waiting.order_number) == ("waiting", None, None)
    assert shop.calls == []
    paid(db_session, shop)
    assert [call[:3] for call in shop.calls] == [
        ("paid", "CC-1001", "pi_1"),
        ("refunded", "CC-1001", "re_1"),
    ]
    assert order.state == "partially_refunded"
    assert (waiting.outcome, waiting.processed_at, waiting.order_number) == (
        "applied",
        NOW,
        "CC-1001",
    )


def test_a_refund_for_a_pending_order_waits_for_its_payment(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    unpaid = session_object(payment_status="unpaid")
    deliver(db_session, shop, "checkout.session.completed", unpaid, "evt_unpaid")
    assert deliver(db_session, shop, "refund.updated", refund_object(), "evt_r") is Outcome.WAITING
    assert shop.calls == []
    deliver(db_session, shop, "checkout.session.async_payment_succeeded", session_object())
    assert [call[0] for call in shop.calls] == ["paid", "refunded"]
    assert stored(db_session, "evt_r").outcome == "applied"


def test_only_waiting_refunds_of_that_payment_are_applied(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    shop.add("CC-1002", "cs_test_2")
    deliver(db_session, shop, "refund.updated", refund_object("re_9", intent="pi_9"), "evt_r9")
    deliver(db_session, shop, "refund.updated", refund_object(status="pending"), "evt_pending")
    paid(db_session, shop)
    assert [call[0] for call in shop.calls] == ["paid"]
    assert stored(db_session, "evt_r9").outcome == "waiting"
    assert stored(db_session, "evt_pending").outcome == "no change"


def test_waiting_refunds_are_applied_in_the_order_stripe_created_them(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    def refund(event_id: str, refund_id: str, created: int) -> None:
        payload = {
            "id": event_id,
            "type": "refund.updated",
            "created": created,
            "data": {"object": refund_object(refund_id, amount=100)},
        }
        webhooks.handle(db_session, webhooks.envelope(payload), shop=shop, now=NOW)

    t = int(CREATED.timestamp())
    refund("evt_z", "re_late", t + 10)
    refund("evt_y", "re_tie_y", t)
    refund("evt_x", "re_tie_x", t)
    refund("evt_a", "re_later", t + 20)
    paid(db_session, shop)
    assert [call[2] for call in shop.calls[1:]] == ["re_tie_x", "re_tie_y", "re_late", "re_later"]


def test_a_payment_repeated_under_another_id_does_not_reapply_refunds(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    # A payment after expiry that the shop refunds automatically leaves the order cancelled
    # and without a payment reference: a second "paid" event reaches the shop again (which
    # ignores it), and must not replay the refunds already applied.
    shop.reserve_late_payments = False
    order.state = "cancelled"
    paid(db_session, shop)
    deliver(db_session, shop, "refund.updated", refund_object(amount=4980), "evt_r")
    again = session_object()
    deliver(db_session, shop, "checkout.session.async_payment_succeeded", again, "evt_again")
    assert [call[0] for call in shop.calls] == ["paid", "refunded", "paid"]


def test_a_refund_of_an_unknown_payment_keeps_waiting(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    paid(db_session, shop)
    outcome = deliver(db_session, shop, "refund.updated", refund_object(intent="pi_elsewhere"))
    assert outcome is Outcome.WAITING
    assert [call[0] for call in shop.calls] == ["paid"]


def charge(refunds: object) -> dict[str, Any]:
    return {"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "refunds": refunds}


def test_charge_refunded_applies_the_refunds_it_lists(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    paid(db_session, shop)
    listed = {
        "data": [
            refund_object("re_1", amount=1000),
            refund_object("re_2", amount=500, status="pending"),
        ]
    }
    assert deliver(db_session, shop, "charge.refunded", charge(listed)) is Outcome.APPLIED
    assert shop.calls[1:] == [("refunded", "CC-1001", "re_1", Money(1000, EUR), NOW)]
    assert stored(db_session).order_number == "CC-1001"


@pytest.mark.parametrize("refunds", [None, {}, {"data": None}, "re_1"])
def test_charge_refunded_without_its_refunds_changes_nothing(
    db_session: Session, shop: FakeShop, order: FakeOrder, refunds: object
) -> None:
    paid(db_session, shop)
    assert deliver(db_session, shop, "charge.refunded", charge(refunds)) is Outcome.NO_CHANGE
    assert len(shop.calls) == 1


def test_charge_refunded_with_only_unsettled_refunds_changes_nothing(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    paid(db_session, shop)
    listed = {"data": [refund_object(status="pending")]}
    assert deliver(db_session, shop, "charge.refunded", charge(listed)) is Outcome.NO_CHANGE


def test_charge_refunded_before_the_payment_waits(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    listed = {"data": [refund_object("re_1"), refund_object("re_2", status="pending")]}
    assert deliver(db_session, shop, "charge.refunded", charge(listed), "evt_c") is Outcome.WAITING
    paid(db_session, shop)
    assert [call[:3] for call in shop.calls] == [
        ("paid", "CC-1001", "pi_1"),
        ("refunded", "CC-1001", "re_1"),
    ]


def test_charge_refunded_listing_garbage_is_malformed(
    db_session: Session, shop: FakeShop, order: FakeOrder, caplog: pytest.LogCaptureFixture
) -> None:
    paid(db_session, shop)
    listed = {"data": [refund_object(), "re_2"]}
    assert deliver(db_session, shop, "charge.refunded", charge(listed)) is Outcome.MALFORMED
    assert caplog.messages == [
        "Stripe event evt_1 (charge.refunded) is malformed: a refund is not an object"
    ]
    # Kept as malformed; what the event half did to the shop's rows is undone by the savepoint
    # (see the refusal test below).
    assert (stored(db_session).outcome, stored(db_session).processed_at) == ("malformed", NOW)


# --- Refusals and failures -----------------------------------------------------------------------


class RefusingShop(FakeShop):
    """Writes a row, then refuses: the savepoint must undo the row."""

    def payment_succeeded(self, session: Session, order: FakeOrder, **kwargs: Any) -> None:
        session.add(
            DemoCheckout(
                reference="demo_half_done",
                order_number=order.number,
                amount=Money(1, EUR),
                success_url="/s",
                cancel_url="/c",
                expires_at=NOW,
            )
        )
        session.flush()
        raise InvalidTransition("the shop refuses")


def test_a_refusal_by_the_shop_is_kept_and_undone(
    app: Flask, db_session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    refusing = RefusingShop()
    refusing.add("CC-1001", "cs_test_1")
    outcome = deliver(db_session, refusing, "checkout.session.completed", session_object())
    assert outcome is Outcome.REFUSED
    assert caplog.messages == [
        "Stripe event evt_1 (checkout.session.completed) refused by the shop: the shop refuses"
    ]
    assert db_session.get(DemoCheckout, "demo_half_done") is None
    assert (stored(db_session).outcome, stored(db_session).processed_at) == ("refused", NOW)


def test_a_genuine_failure_propagates(
    db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    shop.fail_with = RuntimeError("database gone")
    with pytest.raises(RuntimeError, match="database gone"):
        deliver(db_session, shop, "checkout.session.completed", session_object())


def test_a_concurrent_duplicate_insert_is_a_duplicate(
    db_session: Session, shop: FakeShop, order: FakeOrder, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(db_session, shop, "checkout.session.completed", session_object())
    db_session.expunge_all()
    # As if the other delivery committed between our look-up and our insert.
    monkeypatch.setattr(db_session, "get", lambda *args, **kwargs: None)
    again = deliver(db_session, shop, "checkout.session.completed", session_object())
    assert again is Outcome.DUPLICATE
    assert len(shop.calls) == 1
    monkeypatch.undo()
    assert count(db_session) == 1
