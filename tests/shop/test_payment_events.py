"""What payments tells the shop: paid, failed, expired, refunded; replays change nothing, and a
payment the order cannot keep is refunded automatically."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from cocreate.config import settings
from cocreate.core.clock import TestClock
from cocreate.core.money import Money
from cocreate.core.outbox import OutboxMessage
from cocreate.production.models import Variant
from cocreate.shop import payment_events, reservations
from cocreate.shop.models import (
    Order,
    OrderState,
    OrderTransition,
    Refund,
    RefundCause,
    RefundState,
)
from tests.shop.checkout_factories import VariantFactory, place

pytestmark = pytest.mark.usefixtures("request_ctx")
S = OrderState


def eur(cents: int) -> Money:
    return Money(cents, "EUR")


@pytest.fixture
def order(app: Flask, db_session: Session, clock: TestClock) -> Order:
    """A pending order of 2 × 25.00 shipped to France: 54.90; 3 units were in stock."""
    variant = VariantFactory(stock_on_hand=3, price=eur(2500), design__title="Midnight Tide")
    placed = place(db_session, settings(app), [(variant, 2)], now=clock.now())
    placed.checkout_reference = "cs_test_1"
    db_session.flush()
    return placed


def _stock(session: Session) -> int:
    return int(session.scalar(select(Variant.stock_on_hand)) or 0)


def _moves(session: Session, order: Order) -> list[tuple[Any, ...]]:
    rows = session.scalars(
        select(OrderTransition)
        .where(OrderTransition.order_id == order.id)
        .order_by(OrderTransition.id)
    )
    return [(r.from_state, r.to_state, r.actor_id, r.reason) for r in rows]


def _move_times(session: Session, order: Order) -> list[Any]:
    rows = session.scalars(
        select(OrderTransition)
        .where(OrderTransition.order_id == order.id)
        .order_by(OrderTransition.id)
    )
    return [r.created_at for r in rows]


def _emails(session: Session) -> list[tuple[str, str]]:
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "email").order_by(OutboxMessage.id)
    )
    return [(row.payload["to"], row.payload["subject"]) for row in rows]


def _refund_messages(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "shop.refund").order_by(OutboxMessage.id)
    )
    return [row.payload for row in rows]


def _refunds(session: Session) -> list[tuple[Any, ...]]:
    rows = session.scalars(select(Refund).order_by(Refund.id))
    return [
        (r.cause, r.amount, r.payment_reference, r.state, r.requested_by_id, r.gateway_reference)
        for r in rows
    ]


def _pay(
    session: Session, order: Order, clock: TestClock, reference: str = "pi_1", **kw: Any
) -> None:
    payment_events.payment_succeeded(
        session,
        order,
        payment_reference=reference,
        amount=kw.get("amount", eur(5490)),
        at=kw.get("at", clock.now()),
    )


# --- Looking orders up -------------------------------------------------------------------------


def test_orders_are_found_by_checkout_number_and_payment(
    db_session: Session, order: Order, clock: TestClock
) -> None:
    assert payment_events.order_for_checkout(db_session, "cs_test_1") is order
    assert payment_events.order_for_checkout(db_session, "cs_other") is None
    assert payment_events.order_by_number(db_session, order.number) is order
    assert payment_events.order_by_number(db_session, "CC-NOPE") is None
    assert payment_events.order_for_payment(db_session, "pi_1") is None
    _pay(db_session, order, clock)
    assert payment_events.order_for_payment(db_session, "pi_1") is order
    _pay(db_session, order, clock, "pi_2")  # a second payment, being refunded
    assert payment_events.order_for_payment(db_session, "pi_2") is order
    assert payment_events.order_for_payment(db_session, "pi_3") is None


def test_the_order_is_locked_for_update() -> None:
    statement = payment_events.lock_statement(42)
    assert str(statement.compile(dialect=postgresql.dialect())).endswith(" FOR UPDATE")
    assert list(statement.compile().params.values()) == [42]


def test_locking_reads_the_order_again(db_session: Session, order: Order) -> None:
    db_session.execute(
        Order.__table__.update().where(Order.id == order.id).values(tracking_number="X2")
    )
    payment_events.lock(db_session, order)
    assert order.tracking_number == "X2"


def test_a_lookup_reads_the_row_again(db_session: Session, order: Order) -> None:
    db_session.execute(
        Order.__table__.update().where(Order.id == order.id).values(tracking_number="X1")
    )
    assert order.tracking_number == ""  # the session's copy is stale
    found = payment_events.order_for_checkout(db_session, "cs_test_1")
    assert found is not None and found.tracking_number == "X1"


# --- Paid --------------------------------------------------------------------------------------


def test_a_payment_marks_the_order_paid_and_confirms_it(
    db_session: Session, order: Order, clock: TestClock
) -> None:
    paid_at = clock.now() + timedelta(minutes=3)
    _pay(db_session, order, clock, at=paid_at)
    assert (order.state, order.payment_reference, order.paid_at) == (S.PAID, "pi_1", paid_at)
    assert _moves(db_session, order) == [(S.PENDING_PAYMENT, S.PAID, None, "")]
    assert _emails(db_session) == [
        ("buyer@example.test", f"Your order {order.number} is confirmed")
    ]
    assert _stock(db_session) == 1  # still reserved for it
    assert _refunds(db_session) == []


def test_the_confirmation_is_in_the_buyers_language(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    french = place(db_session, settings(app), [(VariantFactory(), 1)], now=clock.now(), locale="fr")
    _pay(db_session, french, clock, amount=eur(2990))
    ((_to, subject),) = _emails(db_session)
    assert subject == f"Votre commande {french.number} est confirmée"


def test_a_replayed_payment_changes_nothing(
    db_session: Session, order: Order, clock: TestClock
) -> None:
    _pay(db_session, order, clock)
    _pay(db_session, order, clock, at=clock.now() + timedelta(hours=1))
    assert len(_moves(db_session, order)) == 1
    assert len(_emails(db_session)) == 1
    assert order.paid_at == clock.now()
    assert _refunds(db_session) == []


def test_a_second_payment_of_a_paid_order_is_refunded(
    db_session: Session, order: Order, clock: TestClock, caplog: pytest.LogCaptureFixture
) -> None:
    _pay(db_session, order, clock)
    with caplog.at_level(logging.WARNING, logger="cocreate.shop.payment_events"):
        _pay(db_session, order, clock, "pi_2")
    _pay(db_session, order, clock, "pi_2")  # its replay
    assert caplog.messages == [f"order {order.number} paid twice; refunding pi_2"]
    assert (order.state, order.payment_reference) == (S.PAID, "pi_1")
    assert _refunds(db_session) == [
        (RefundCause.DUPLICATE_PAYMENT, eur(5490), "pi_2", RefundState.PENDING, None, None)
    ]
    (refund,) = db_session.scalars(select(Refund)).all()
    assert _refund_messages(db_session) == [{"refund_id": refund.id}]
    assert len(_emails(db_session)) == 1


def test_a_payment_of_the_wrong_amount_is_refunded_and_the_order_waits(
    db_session: Session, order: Order, clock: TestClock, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="cocreate.shop.payment_events"):
        _pay(db_session, order, clock, amount=eur(5489))
    _pay(db_session, order, clock, amount=eur(5489))
    assert caplog.messages == [
        f"order {order.number}: payment pi_1 of Money(amount=5489, currency='EUR'),"
        " expected Money(amount=5490, currency='EUR'); refunding it"
    ]
    assert (order.state, order.payment_reference) == (S.PENDING_PAYMENT, None)
    assert _refunds(db_session) == [
        (RefundCause.AMOUNT_MISMATCH, eur(5489), "pi_1", RefundState.PENDING, None, None)
    ]
    assert _emails(db_session) == []
    # The right payment still pays it.
    _pay(db_session, order, clock, "pi_2")
    assert (order.state, order.payment_reference) == (S.PAID, "pi_2")


def test_a_payment_in_another_currency_is_refunded(
    db_session: Session, order: Order, clock: TestClock
) -> None:
    _pay(db_session, order, clock, amount=Money(5490, "USD"))
    assert order.state is S.PENDING_PAYMENT
    assert [r[0] for r in _refunds(db_session)] == [RefundCause.AMOUNT_MISMATCH]


def test_a_late_payment_with_stock_left_reserves_it_again(
    db_session: Session, order: Order, clock: TestClock
) -> None:
    late = order.expires_at + timedelta(minutes=5)
    assert reservations.expire_one(db_session, order.id, now=order.expires_at)
    assert _stock(db_session) == 3
    _pay(db_session, order, clock, at=late)
    assert (order.state, order.payment_reference, order.paid_at) == (S.PAID, "pi_1", late)
    assert order.stock_released is False
    assert _stock(db_session) == 1
    assert _moves(db_session, order)[-1] == (
        S.CANCELLED,
        S.PAID,
        None,
        "paid after the checkout expired; stock reserved again",
    )
    assert _emails(db_session) == [
        ("buyer@example.test", f"Your order {order.number} is confirmed")
    ]
    assert _refunds(db_session) == []


def test_a_late_payment_whose_stock_sold_is_refunded(
    app: Flask, db_session: Session, order: Order, clock: TestClock
) -> None:
    payment_events.checkout_expired(db_session, order, at=order.expires_at)
    variant = db_session.scalars(select(Variant)).one()
    place(db_session, settings(app), [(variant, 2)], now=clock.now())  # 1 left: not enough
    _pay(db_session, order, clock)
    _pay(db_session, order, clock)  # a replay: one refund only
    assert (order.state, order.payment_reference, order.stock_released) == (
        S.CANCELLED,
        "pi_1",
        True,
    )
    assert _stock(db_session) == 1
    assert _refunds(db_session) == [
        (RefundCause.LATE_PAYMENT, eur(5490), "pi_1", RefundState.PENDING, None, None)
    ]
    assert _emails(db_session) == []
    # Once the gateway confirms it, the order is refunded and the buyer told.
    payment_events.refund_confirmed(
        db_session, order, refund_reference="re_1", amount=eur(5490), at=clock.now()
    )
    assert order.state is S.REFUNDED
    assert _moves(db_session, order)[-1][:2] == (S.CANCELLED, S.REFUNDED)
    assert _emails(db_session) == [
        ("buyer@example.test", f"A refund for your order {order.number}")
    ]


# --- Failed and expired ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (payment_events.payment_failed, "payment failed"),
        (payment_events.checkout_expired, "checkout expired"),
    ],
)
def test_failure_and_expiry_cancel_and_release_once(
    db_session: Session, order: Order, clock: TestClock, event: Any, reason: str
) -> None:
    at = clock.now() + timedelta(minutes=7)
    event(db_session, order, at=at)
    event(db_session, order, at=at + timedelta(minutes=1))
    assert _move_times(db_session, order) == [at]
    assert (order.state, order.stock_released) == (S.CANCELLED, True)
    assert _stock(db_session) == 3
    assert _moves(db_session, order) == [(S.PENDING_PAYMENT, S.CANCELLED, None, reason)]


@pytest.mark.parametrize("event", [payment_events.payment_failed, payment_events.checkout_expired])
def test_failure_after_payment_changes_nothing(
    db_session: Session, order: Order, clock: TestClock, event: Any
) -> None:
    _pay(db_session, order, clock)
    event(db_session, order, at=clock.now())
    assert (order.state, order.stock_released) == (S.PAID, False)
    assert _stock(db_session) == 1


def test_events_read_the_order_under_its_lock(
    db_session: Session, order: Order, clock: TestClock
) -> None:
    # Another transaction cancelled it meanwhile; this session's copy still says pending.
    db_session.execute(
        Order.__table__.update()
        .where(Order.id == order.id)
        .values(state="cancelled", stock_released=True)
    )
    payment_events.payment_failed(db_session, order, at=clock.now())
    assert _stock(db_session) == 1  # not given back a second time
    assert _moves(db_session, order) == []


# --- Refund confirmed --------------------------------------------------------------------------


def _staff_refund(
    session: Session, order: Order, amount: int, at: Any, ref: str | None = None
) -> Refund:
    refund = Refund(
        order_id=order.id,
        cause=RefundCause.STAFF,
        amount=eur(amount),
        payment_reference=order.payment_reference or "",
        gateway_reference=ref,
        created_at=at,
    )
    order.refunds.append(refund)
    session.flush()
    return refund


def test_a_refund_confirmed_by_reference(
    db_session: Session, order: Order, clock: TestClock
) -> None:
    _pay(db_session, order, clock)
    refund = _staff_refund(db_session, order, 2500, clock.now(), ref="re_9")
    done_at = clock.now() + timedelta(minutes=1)
    payment_events.refund_confirmed(
        db_session, order, refund_reference="re_9", amount=eur(2500), at=done_at
    )
    assert (refund.state, refund.done_at) == (RefundState.DONE, done_at)
    assert order.state is S.PARTIALLY_REFUNDED
    assert _moves(db_session, order)[-1] == (S.PAID, S.PARTIALLY_REFUNDED, None, "")
    assert _move_times(db_session, order)[-1] == done_at
    assert _emails(db_session)[-1] == (
        "buyer@example.test",
        f"A refund for your order {order.number}",
    )
    # Replayed: nothing more.
    payment_events.refund_confirmed(
        db_session, order, refund_reference="re_9", amount=eur(2500), at=done_at
    )
    assert len(_moves(db_session, order)) == 2
    assert len(_emails(db_session)) == 2


def test_a_webhook_before_the_reference_was_stored_matches_the_pending_refund(
    db_session: Session, order: Order, clock: TestClock
) -> None:
    _pay(db_session, order, clock)
    other = _staff_refund(db_session, order, 1000, clock.now())
    refund = _staff_refund(db_session, order, 2500, clock.now())
    payment_events.refund_confirmed(
        db_session, order, refund_reference="re_7", amount=eur(2500), at=clock.now()
    )
    assert (refund.gateway_reference, refund.state) == ("re_7", RefundState.DONE)
    assert (other.gateway_reference, other.state) == (None, RefundState.PENDING)


def test_the_last_refund_makes_the_order_refunded(
    db_session: Session, order: Order, clock: TestClock
) -> None:
    _pay(db_session, order, clock)
    _staff_refund(db_session, order, 2500, clock.now(), ref="re_1")
    _staff_refund(db_session, order, 2990, clock.now(), ref="re_2")
    payment_events.refund_confirmed(
        db_session, order, refund_reference="re_1", amount=eur(2500), at=clock.now()
    )
    assert order.state is S.PARTIALLY_REFUNDED
    payment_events.refund_confirmed(
        db_session, order, refund_reference="re_2", amount=eur(2990), at=clock.now()
    )
    assert order.state is S.REFUNDED
    assert [m[:2] for m in _moves(db_session, order)] == [
        (S.PENDING_PAYMENT, S.PAID),
        (S.PAID, S.PARTIALLY_REFUNDED),
        (S.PARTIALLY_REFUNDED, S.REFUNDED),
    ]


def test_two_partial_refunds_stay_partially_refunded(
    db_session: Session, order: Order, clock: TestClock
) -> None:
    _pay(db_session, order, clock)
    for ref in ("re_1", "re_2"):
        _staff_refund(db_session, order, 1000, clock.now(), ref=ref)
        payment_events.refund_confirmed(
            db_session, order, refund_reference=ref, amount=eur(1000), at=clock.now()
        )
    assert order.state is S.PARTIALLY_REFUNDED
    assert len(_moves(db_session, order)) == 2


def test_a_refund_made_at_the_provider_is_recorded(
    db_session: Session, order: Order, clock: TestClock
) -> None:
    _pay(db_session, order, clock)
    at = clock.now() + timedelta(hours=5)
    payment_events.refund_confirmed(
        db_session, order, refund_reference="re_dash", amount=eur(5490), at=at
    )
    assert _refunds(db_session) == [
        (RefundCause.PROVIDER, eur(5490), "pi_1", RefundState.DONE, None, "re_dash")
    ]
    (refund,) = order.refunds
    assert (refund.created_at, refund.done_at) == (at, at)
    assert order.state is S.REFUNDED


def test_a_provider_refund_of_an_unpaid_order_names_no_payment(
    db_session: Session, order: Order, clock: TestClock
) -> None:
    payment_events.refund_confirmed(
        db_session, order, refund_reference="re_odd", amount=eur(100), at=clock.now()
    )
    assert _refunds(db_session) == [
        (RefundCause.PROVIDER, eur(100), "", RefundState.DONE, None, "re_odd")
    ]
    assert order.state is S.PENDING_PAYMENT


def test_a_pending_refund_with_another_reference_is_not_matched(
    db_session: Session, order: Order, clock: TestClock
) -> None:
    _pay(db_session, order, clock)
    asked = _staff_refund(db_session, order, 2500, clock.now(), ref="re_A")
    payment_events.refund_confirmed(
        db_session, order, refund_reference="re_B", amount=eur(2500), at=clock.now()
    )
    assert (asked.state, asked.gateway_reference) == (RefundState.PENDING, "re_A")
    assert [r[0] for r in _refunds(db_session)] == [RefundCause.STAFF, RefundCause.PROVIDER]


def test_refunding_a_duplicate_payment_leaves_the_order_paid(
    db_session: Session, order: Order, clock: TestClock
) -> None:
    _pay(db_session, order, clock)
    _pay(db_session, order, clock, "pi_2")
    payment_events.refund_confirmed(
        db_session, order, refund_reference="re_1", amount=eur(5490), at=clock.now()
    )
    assert _refunds(db_session) == [
        (RefundCause.DUPLICATE_PAYMENT, eur(5490), "pi_2", RefundState.DONE, None, "re_1")
    ]
    assert order.state is S.PAID
    assert _emails(db_session)[-1][1] == f"A refund for your order {order.number}"


def test_a_refund_of_another_order_is_ignored(
    app: Flask,
    db_session: Session,
    order: Order,
    clock: TestClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    other = place(db_session, settings(app), [(VariantFactory(), 1)], now=clock.now())
    _pay(db_session, order, clock)
    refund = _staff_refund(db_session, order, 2500, clock.now(), ref="re_1")
    with caplog.at_level(logging.ERROR, logger="cocreate.shop.payment_events"):
        payment_events.refund_confirmed(
            db_session, other, refund_reference="re_1", amount=eur(2500), at=clock.now()
        )
    assert caplog.messages == [f"refund re_1 belongs to another order than {other.number}"]
    assert refund.state is RefundState.PENDING
    assert other.state is S.PENDING_PAYMENT
    assert other.refunds == []
