"""Refunds that return their units to stock: chosen per refund by staff, added when the refund
is done and only then, once per refund however often it is confirmed, never for a refund the
gateway did not make, never for an automatic refund (no units were taken for its payment); and
members waiting for a reprint of a size told when units of it are back on sale."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core import jobs
from cocreate.core.clock import TestClock
from cocreate.core.money import Money
from cocreate.core.outbox import OutboxMessage, OutboxStatus
from cocreate.designs.models import Design, DesignState
from cocreate.production.models import Variant
from cocreate.production.reprint_models import ReprintRequest
from cocreate.shop import desk, payment_events, refund_sender, refunds, reservations
from cocreate.shop.models import Order, OrderState, Refund, RefundCause, RefundState
from cocreate.voting.notify_models import Notification, NotificationKind
from tests.accounts.factories import UserFactory
from tests.shop.checkout_factories import (
    VariantFactory,
    line_ids,
    paid_by_the_gateway,
    place,
    stock_of,
)
from tests.shop.fakes import FakeGateway

pytestmark = pytest.mark.usefixtures("request_ctx")
S = OrderState


def eur(cents: int) -> Money:
    return Money(cents, "EUR")


@pytest.fixture
def order(app: Flask, db_session: Session, clock: TestClock) -> Order:
    """Paid: 3 × 19.99 tee (10 were in stock) + 1 × 18.00 tote (5 in stock) to France: 82.87."""
    return paid_by_the_gateway(
        db_session, settings(app), now=clock.now(), tee_stock=10, tote_stock=5
    )


def _refund(
    session: Session,
    order: Order,
    staff: User,
    clock: TestClock,
    quantities: dict[int, int],
    *,
    restock: bool,
    whole: bool = False,
) -> Refund:
    return desk.refund(
        session,
        order,
        staff,
        quantities=quantities,
        whole=whole,
        reason="Returned",
        at=clock.now(),
        restock=restock,
    )


def _confirm(session: Session, order: Order, refund: Refund, reference: str, at: Any) -> None:
    payment_events.refund_confirmed(
        session, order, refund_reference=reference, amount=refund.amount, at=at
    )


def test_the_order_took_its_units(db_session: Session, order: Order) -> None:
    assert stock_of(db_session, order) == (7, 4)


def test_restocked_units_go_back_on_sale_when_the_refund_is_done(
    db_session: Session, order: Order, staff: User, clock: TestClock
) -> None:
    tee, _tote = line_ids(order)
    refund = _refund(db_session, order, staff, clock, {tee: 2}, restock=True)
    assert refund.restock is True
    assert stock_of(db_session, order) == (7, 4)  # asked, not done: nothing back yet
    _confirm(db_session, order, refund, "re_1", clock.now())
    assert refund.state is RefundState.DONE
    assert stock_of(db_session, order) == (9, 4)


def test_a_refund_not_restocked_returns_nothing(
    db_session: Session, order: Order, staff: User, clock: TestClock
) -> None:
    tee, tote = line_ids(order)
    refund = _refund(db_session, order, staff, clock, {tee: 3, tote: 1}, restock=False)
    _confirm(db_session, order, refund, "re_1", clock.now())
    assert (refund.restock, refund.state) == (False, RefundState.DONE)
    assert stock_of(db_session, order) == (7, 4)


def test_partial_refunds_each_return_their_own_units(
    db_session: Session, order: Order, staff: User, clock: TestClock
) -> None:
    tee, _tote = line_ids(order)
    one = _refund(db_session, order, staff, clock, {tee: 1}, restock=True)
    two = _refund(db_session, order, staff, clock, {tee: 1}, restock=False)
    rest = _refund(db_session, order, staff, clock, {}, restock=True, whole=True)
    assert [(p.quantity, p.amount) for p in rest.lines] == [(1, eur(1999)), (1, eur(1800))]
    _confirm(db_session, order, one, "re_1", clock.now())
    assert stock_of(db_session, order) == (8, 4)
    _confirm(db_session, order, two, "re_2", clock.now())
    assert stock_of(db_session, order) == (8, 4)
    _confirm(db_session, order, rest, "re_3", clock.now())
    assert stock_of(db_session, order) == (9, 5)
    assert order.state is S.REFUNDED
    assert [r.restock for r in order.refunds] == [True, False, True]


def test_a_confirmation_repeated_by_webhook_and_sender_restocks_once(
    app: Flask,
    db_session: Session,
    order: Order,
    staff: User,
    clock: TestClock,
    fake_gateway: FakeGateway,
) -> None:
    tee, _tote = line_ids(order)
    refund = _refund(db_session, order, staff, clock, {tee: 3}, restock=True)
    db_session.commit()
    jobs.deliver(app)  # the sender: the fake gateway settles it at once
    db_session.expire_all()
    assert stock_of(db_session, order) == (10, 4)
    # Its webhook, replayed, and the sender run again (a retried delivery): no more stock.
    live = db_session.get_one(Order, order.id)
    for _ in range(2):
        payment_events.refund_confirmed(
            db_session, live, refund_reference="re_1", amount=eur(5997), at=clock.now()
        )
    db_session.commit()
    refund_sender.send(refund.id)
    db_session.expire_all()
    assert stock_of(db_session, order) == (10, 4)
    assert len(fake_gateway.refunds) == 1


def test_a_webhook_before_the_sender_restocks_once(
    app: Flask,
    db_session: Session,
    order: Order,
    staff: User,
    clock: TestClock,
    fake_gateway: FakeGateway,
) -> None:
    tee, tote = line_ids(order)
    refund = _refund(db_session, order, staff, clock, {tee: 1, tote: 1}, restock=True)
    # Stripe's webhook came before the sender stored the reference: matched by amount.
    _confirm(db_session, order, refund, "re_9", clock.now())
    db_session.commit()
    assert stock_of(db_session, order) == (8, 5)
    jobs.deliver(app)
    db_session.expire_all()
    assert stock_of(db_session, order) == (8, 5)
    assert fake_gateway.refunds == []  # done already: the sender did not ask again


@pytest.mark.parametrize("app_overrides", [{"OUTBOX_MAX_ATTEMPTS": 2}])
def test_a_refund_the_gateway_refuses_restocks_nothing(
    app: Flask,
    db_session: Session,
    order: Order,
    staff: User,
    clock: TestClock,
    fake_gateway: FakeGateway,
    app_overrides: dict[str, Any],
) -> None:
    fake_gateway.fail_refund = ConnectionError("card network down")
    tee, tote = line_ids(order)
    refund = _refund(db_session, order, staff, clock, {tee: 3, tote: 1}, restock=True)
    db_session.commit()
    jobs.deliver(app)
    jobs.deliver(app, now=clock.now() + timedelta(minutes=5))  # the retry fails too: given up
    (message,) = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "shop.refund")
    )
    db_session.refresh(message)
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 2)
    db_session.expire_all()
    assert db_session.get_one(Refund, refund.id).state is RefundState.PENDING
    assert stock_of(db_session, order) == (7, 4)


def test_a_failed_attempt_restocks_nothing_and_its_retry_once(
    app: Flask,
    db_session: Session,
    order: Order,
    staff: User,
    clock: TestClock,
    fake_gateway: FakeGateway,
) -> None:
    fake_gateway.fail_refund = ConnectionError("timeout")
    tee, _tote = line_ids(order)
    _refund(db_session, order, staff, clock, {tee: 2}, restock=True)
    db_session.commit()
    jobs.deliver(app)
    db_session.expire_all()
    assert stock_of(db_session, order) == (7, 4)
    fake_gateway.fail_refund = None
    jobs.deliver(app, now=clock.now() + timedelta(minutes=10))
    jobs.deliver(app, now=clock.now() + timedelta(minutes=20))
    db_session.expire_all()
    assert stock_of(db_session, order) == (9, 4)


def test_a_refund_of_the_shipping_alone_has_no_units_to_restock(
    db_session: Session, order: Order, staff: User, clock: TestClock
) -> None:
    tee, tote = line_ids(order)
    _refund(db_session, order, staff, clock, {tee: 3, tote: 1}, restock=False)
    shipping = _refund(db_session, order, staff, clock, {}, restock=True, whole=True)
    assert (shipping.amount, shipping.lines, shipping.restock) == (eur(490), [], False)


def test_units_already_released_are_never_returned_again(
    db_session: Session, order: Order, staff: User, clock: TestClock
) -> None:
    """A paid order's stock is taken (reserved, or reserved again for a late payment): the
    guard holds should a released order ever be refunded."""
    tee, _tote = line_ids(order)
    order.stock_released = True
    refund = _refund(db_session, order, staff, clock, {tee: 1}, restock=True)
    _confirm(db_session, order, refund, "re_1", clock.now())
    assert refund.restock is False
    assert stock_of(db_session, order) == (7, 4)


def test_units_of_a_variant_deleted_since_are_skipped(
    db_session: Session,
    order: Order,
    staff: User,
    clock: TestClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tee, tote = line_ids(order)
    tee_variant, tote_variant = (line.variant_id for line in order.lines)
    refund = _refund(db_session, order, staff, clock, {tee: 2, tote: 1}, restock=True)
    db_session.execute(delete(Variant).where(Variant.id == tote_variant))
    with caplog.at_level(logging.WARNING, logger="cocreate.shop.refunds"):
        _confirm(db_session, order, refund, "re_1", clock.now())
    assert refund.state is RefundState.DONE
    stock = dict(db_session.execute(select(Variant.id, Variant.stock_on_hand)).all())
    assert stock == {tee_variant: 9}
    assert caplog.messages == [
        f"refund {refund.id}: variants [{tote_variant}] no longer exist;"
        " their units were not restocked"
    ]


def test_the_form_proposes_restocking_until_the_order_ships(
    db_session: Session, order: Order, staff: User, clock: TestClock
) -> None:
    assert refunds.restock_by_default(order) is True
    desk.fulfil(db_session, order, staff, tracking_number="LP1", at=clock.now())
    assert refunds.restock_by_default(order) is False


def test_a_shipped_order_can_still_be_restocked(
    db_session: Session, order: Order, staff: User, clock: TestClock
) -> None:
    tee, _tote = line_ids(order)
    desk.fulfil(db_session, order, staff, tracking_number="LP1", at=clock.now())
    refund = _refund(db_session, order, staff, clock, {tee: 1}, restock=True)
    _confirm(db_session, order, refund, "re_1", clock.now())
    assert stock_of(db_session, order) == (8, 4)


# --- Automatic refunds -------------------------------------------------------------------------


@pytest.fixture
def pending(app: Flask, db_session: Session, clock: TestClock) -> Order:
    """Pending: 2 × 25.00 to France, 54.90; 3 were in stock, 1 is left."""
    variant = VariantFactory(stock_on_hand=3, design__title="Midnight Tide")
    placed = place(db_session, settings(app), [(variant, 2)], now=clock.now())
    placed.checkout_reference = "cs_1"
    db_session.flush()
    return placed


def _onestock_of(session: Session) -> int:
    return int(session.scalars(select(Variant.stock_on_hand)).one())


def _pay(session: Session, order: Order, clock: TestClock, ref: str, cents: int = 5490) -> None:
    payment_events.payment_succeeded(
        session, order, payment_reference=ref, amount=eur(cents), at=clock.now()
    )


def test_a_late_payment_refunded_because_its_stock_sold_restocks_nothing(
    app: Flask, db_session: Session, pending: Order, clock: TestClock
) -> None:
    payment_events.checkout_expired(db_session, pending, at=pending.expires_at)
    assert _onestock_of(db_session) == 3  # released at expiry
    variant = db_session.scalars(select(Variant)).one()
    place(db_session, settings(app), [(variant, 2)], now=clock.now())  # sold meanwhile
    assert _onestock_of(db_session) == 1
    _pay(db_session, pending, clock, "pi_late")
    (refund,) = pending.refunds
    _confirm(db_session, pending, refund, "re_1", clock.now())
    assert (refund.cause, refund.restock, refund.state) == (
        RefundCause.LATE_PAYMENT,
        False,
        RefundState.DONE,
    )
    assert pending.state is S.REFUNDED
    assert _onestock_of(db_session) == 1


def test_a_duplicate_payment_refunded_restocks_nothing(
    db_session: Session, pending: Order, clock: TestClock
) -> None:
    _pay(db_session, pending, clock, "pi_1")
    _pay(db_session, pending, clock, "pi_2")
    (refund,) = pending.refunds
    _confirm(db_session, pending, refund, "re_1", clock.now())
    assert (refund.cause, refund.restock) == (RefundCause.DUPLICATE_PAYMENT, False)
    assert pending.state is S.PAID  # the order keeps its two units
    assert _onestock_of(db_session) == 1


def test_a_wrong_amount_refunded_restocks_nothing_and_expiry_releases_once(
    db_session: Session, pending: Order, clock: TestClock
) -> None:
    _pay(db_session, pending, clock, "pi_1", cents=5489)
    (refund,) = pending.refunds
    _confirm(db_session, pending, refund, "re_1", clock.now())
    assert (refund.cause, refund.restock) == (RefundCause.AMOUNT_MISMATCH, False)
    assert _onestock_of(db_session) == 1  # still reserved for the pending order
    assert reservations.expire_one(db_session, pending.id, now=pending.expires_at)
    assert _onestock_of(db_session) == 3


# --- Members waiting for a reprint -------------------------------------------------------------


@pytest.fixture
def last_tee(app: Flask, db_session: Session, clock: TestClock) -> Order:
    """The last black M tee of a design on sale, bought and paid: the size is sold out."""
    variant = VariantFactory(stock_on_hand=1, design__title="Last Tee")
    placed = place(db_session, settings(app), [(variant, 1)], now=clock.now())
    payment_events.payment_succeeded(
        db_session, placed, payment_reference="pi_1", amount=eur(2990), at=clock.now()
    )
    return placed


def _ask(session: Session, order: Order, member: User, size: str) -> ReprintRequest:
    row = ReprintRequest(
        design_id=order.lines[0].design_id, requester_id=member.id, product="tee", size=size
    )
    session.add(row)
    session.flush()
    return row


def _told(session: Session) -> list[tuple[int, NotificationKind]]:
    return [(n.recipient_id, n.kind) for n in session.scalars(select(Notification))]


def test_restocked_units_fulfil_the_reprint_requests_of_their_size(
    db_session: Session, last_tee: Order, staff: User, clock: TestClock
) -> None:
    asker, other = UserFactory(), UserFactory()
    medium = _ask(db_session, last_tee, asker, "M")
    large = _ask(db_session, last_tee, other, "L")
    (line,) = last_tee.lines
    refund = _refund(db_session, last_tee, staff, clock, {line.id: 1}, restock=True)
    done_at = clock.now() + timedelta(hours=1)
    _confirm(db_session, last_tee, refund, "re_1", done_at)
    db_session.refresh(medium)
    db_session.refresh(large)
    assert (medium.fulfilled_at, large.fulfilled_at) == (done_at, None)
    assert _told(db_session) == [(asker.id, NotificationKind.REPRINT_ON_SALE)]
    assert stock_of(db_session, last_tee) == (1,)


def test_units_not_restocked_leave_the_reprint_requests_open(
    db_session: Session, last_tee: Order, staff: User, clock: TestClock
) -> None:
    medium = _ask(db_session, last_tee, UserFactory(), "M")
    (line,) = last_tee.lines
    refund = _refund(db_session, last_tee, staff, clock, {line.id: 1}, restock=False)
    _confirm(db_session, last_tee, refund, "re_1", clock.now())
    db_session.refresh(medium)
    assert medium.fulfilled_at is None
    assert _told(db_session) == []


def test_units_of_a_retired_design_go_to_stock_but_wait_for_a_reprint(
    db_session: Session, last_tee: Order, staff: User, clock: TestClock
) -> None:
    medium = _ask(db_session, last_tee, UserFactory(), "M")
    db_session.get_one(Design, last_tee.lines[0].design_id).state = DesignState.RETIRED
    (line,) = last_tee.lines
    refund = _refund(db_session, last_tee, staff, clock, {line.id: 1}, restock=True)
    _confirm(db_session, last_tee, refund, "re_1", clock.now())
    db_session.refresh(medium)
    assert medium.fulfilled_at is None
    assert _told(db_session) == []
    assert stock_of(db_session, last_tee) == (1,)
