"""Refunds from the order desk: amounts computed on the server to the cent, never more than
what is left, and the outbox sender that asks the gateway."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core import jobs, mail
from cocreate.core.clock import TestClock
from cocreate.core.lifecycle import NotAllowed
from cocreate.core.money import Money
from cocreate.core.outbox import OutboxMessage, OutboxStatus
from cocreate.shop import desk, payment_events, refund_sender, refunds
from cocreate.shop.models import Order, OrderState, Refund, RefundCause, RefundState
from tests.accounts.factories import UserFactory
from tests.shop.checkout_factories import (
    VariantFactory,
    line_ids,
    paid_by_the_gateway,
    place,
)
from tests.shop.fakes import FakeGateway

pytestmark = pytest.mark.usefixtures("request_ctx")
S = OrderState


def eur(cents: int) -> Money:
    return Money(cents, "EUR")


@pytest.fixture
def order(app: Flask, db_session: Session, clock: TestClock) -> Order:
    """Paid: 3 × 19.99 tee + 1 × 18.00 tote to France (shipping 4.90): 82.87."""
    return paid_by_the_gateway(db_session, settings(app), now=clock.now())


def test_the_order_fixture_adds_up(order: Order) -> None:
    tee, tote = order.lines
    # 59.97 / 1.2 = 49.975 → 49.98 (half-even: 49.97|5 → …8); 18.00 / 1.2 = 15.00.
    assert (tee.net, tee.tax, tote.net, tote.tax) == (eur(4998), eur(999), eur(1500), eur(300))
    assert order.total == eur(8287)


def test_units_of_a_line_are_refunded_at_their_unit_price(order: Order) -> None:
    tee, _tote = line_ids(order)
    plan = refunds.plan_refund(order, {tee: 2}, whole=False)
    (part,) = plan.lines
    assert (part.quantity, part.amount) == (2, eur(3998))
    # The line's net shared by unit: 49.98 × 2/3 = 33.32; tax the rest.
    assert (part.net, part.tax) == (eur(3332), eur(666))
    assert (plan.amount, plan.includes_shipping) == (eur(3998), False)


def test_line_refunds_add_up_to_the_line_exactly(
    db_session: Session, order: Order, staff: User, clock: TestClock
) -> None:
    tee, _tote = line_ids(order)
    nets = []
    for _ in range(3):
        refund = desk.refund(
            db_session,
            order,
            staff,
            quantities={tee: 1},
            whole=False,
            reason="Damaged",
            at=clock.now(),
        )
        (part,) = refund.lines
        nets.append((part.amount, part.net, part.tax))
    # 49.98 / 3 = 16.66 each: rounded cumulatively, the three add up to the line's net.
    assert nets == [
        (eur(1999), eur(1666), eur(333)),
        (eur(1999), eur(1666), eur(333)),
        (eur(1999), eur(1666), eur(333)),
    ]
    assert sum(n[1].amount for n in nets) == 4998
    with pytest.raises(refunds.RefundError) as refused:
        refunds.plan_refund(order, {tee: 1}, whole=False)
    assert str(refused.value) == "Only 0 units of “Tee”, T-shirt, black, M can still be refunded."


def test_uneven_shares_are_rounded_so_the_parts_sum_to_the_line(
    app: Flask, db_session: Session, staff: User, clock: TestClock
) -> None:
    v = VariantFactory(price=eur(1000))
    placed = place(db_session, settings(app), [(v, 3)], now=clock.now())
    payment_events.payment_succeeded(
        db_session, placed, payment_reference="pi_9", amount=eur(3490), at=clock.now()
    )
    (line,) = placed.lines
    assert line.net == eur(2500)  # 30.00 / 1.2
    parts = []
    for units in (1, 2):
        refund = desk.refund(
            db_session,
            placed,
            staff,
            quantities={line.id: units},
            whole=False,
            reason="r",
            at=clock.now(),
        )
        parts.append((refund.lines[0].net, refund.lines[0].tax))
    # 25.00 × 1/3 = 8.333 → 8.33; then 25.00 - 8.33 = 16.67 for the other two.
    assert parts == [(eur(833), eur(167)), (eur(1667), eur(333))]


def test_the_whole_order_gives_everything_left_and_the_shipping(
    db_session: Session, order: Order, staff: User, clock: TestClock
) -> None:
    tee, tote = line_ids(order)
    first = desk.refund(
        db_session,
        order,
        staff,
        quantities={tee: 1},
        whole=False,
        reason="One torn",
        at=clock.now(),
    )
    rest = desk.refund(
        db_session, order, staff, quantities={}, whole=True, reason="Changed mind", at=clock.now()
    )
    assert (first.amount, first.includes_shipping) == (eur(1999), False)
    assert [(p.order_line_id, p.quantity, p.amount) for p in rest.lines] == [
        (tee, 2, eur(3998)),
        (tote, 1, eur(1800)),
    ]
    assert (rest.amount, rest.includes_shipping) == (eur(3998 + 1800 + 490), True)
    assert first.amount + rest.amount == order.total
    with pytest.raises(refunds.RefundError, match=r"^Nothing is left to refund\.$"):
        refunds.plan_refund(order, {}, whole=True)


def test_units_after_a_whole_refund_of_lines_leave_only_shipping(
    db_session: Session, order: Order, staff: User, clock: TestClock
) -> None:
    tee, tote = line_ids(order)
    desk.refund(
        db_session,
        order,
        staff,
        quantities={tee: 3, tote: 1},
        whole=False,
        reason="r",
        at=clock.now(),
    )
    plan = refunds.plan_refund(order, {}, whole=True)
    assert (plan.lines, plan.amount, plan.includes_shipping) == ((), eur(490), True)


@pytest.mark.parametrize(
    ("units", "message"),
    [
        ({}, "Choose at least one unit to refund."),
        ("tee:0", "Choose at least one unit to refund."),
        ("tee:4", "Only 3 units of “Tee”, T-shirt, black, M can still be refunded."),
        ("tote:2", "Only 1 unit of “Tote”, Tote bag, natural, One size can still be refunded."),
        ("tee:-1", "Quantities to refund cannot be negative."),
    ],
)
def test_refunds_beyond_what_is_left_are_refused(order: Order, units: Any, message: str) -> None:
    tee, tote = line_ids(order)
    quantities = {}
    if units:
        name, count = units.split(":")
        quantities = {{"tee": tee, "tote": tote}[name]: int(count)}
    with pytest.raises(refunds.RefundError) as refused:
        refunds.plan_refund(order, quantities, whole=False)
    assert str(refused.value) == message


def test_pending_refunds_count_as_given_back(
    db_session: Session, order: Order, staff: User, clock: TestClock
) -> None:
    tee, _ = line_ids(order)
    desk.refund(
        db_session, order, staff, quantities={tee: 3}, whole=False, reason="r", at=clock.now()
    )
    assert db_session.scalars(select(Refund)).one().state is RefundState.PENDING
    assert refunds.remaining_units(order, order.lines[0]) == 0


@pytest.mark.parametrize("state", [S.PENDING_PAYMENT, S.CANCELLED, S.REFUNDED])
def test_only_paid_orders_can_be_refunded(order: Order, state: OrderState) -> None:
    order.state = state
    with pytest.raises(refunds.RefundError, match=r"^Only a paid order can be refunded\.$"):
        refunds.plan_refund(order, {}, whole=True)


def test_a_refund_needs_a_reason_and_staff(
    db_session: Session, order: Order, staff: User, clock: TestClock
) -> None:
    with pytest.raises(refunds.RefundError, match=r"^Please say why this order is refunded\.$"):
        desk.refund(
            db_session, order, staff, quantities={}, whole=True, reason="  ", at=clock.now()
        )
    with pytest.raises(refunds.RefundError, match="1000 characters"):
        desk.refund(
            db_session, order, staff, quantities={}, whole=True, reason="x" * 1001, at=clock.now()
        )
    with pytest.raises(NotAllowed):
        desk.refund(
            db_session, order, UserFactory(), quantities={}, whole=True, reason="r", at=clock.now()
        )
    assert db_session.scalars(select(Refund)).all() == []


def test_a_refund_is_recorded_pending_with_who_when_why_and_queued(
    db_session: Session, order: Order, staff: User, clock: TestClock
) -> None:
    at = clock.now() + timedelta(days=2)
    refund = desk.refund(
        db_session, order, staff, quantities={}, whole=True, reason=" Lost in the post ", at=at
    )
    assert (
        refund.state,
        refund.cause,
        refund.requested_by_id,
        refund.created_at,
        refund.reason,
    ) == (
        RefundState.PENDING,
        RefundCause.STAFF,
        staff.id,
        at,
        "Lost in the post",
    )
    assert (refund.payment_reference, refund.amount) == ("pi_1", eur(8287))
    (message,) = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "shop.refund")
    )
    assert message.payload == {"refund_id": refund.id}
    assert order.state is S.PAID  # until the gateway confirms


# --- The outbox sender -------------------------------------------------------------------------


def test_the_sender_asks_the_gateway_and_records_a_settled_refund(
    app: Flask,
    db_session: Session,
    order: Order,
    staff: User,
    clock: TestClock,
    fake_gateway: FakeGateway,
) -> None:
    tee, _ = line_ids(order)
    refund = desk.refund(
        db_session, order, staff, quantities={tee: 1}, whole=False, reason="r", at=clock.now()
    )
    db_session.commit()
    outcome = jobs.deliver(app)
    # The confirmation and the refund; the refund's email went out once its commit was done.
    assert outcome["sent"] == 2
    (asked,) = fake_gateway.refunds
    assert (asked.payment_reference, asked.amount, asked.idempotency_key) == (
        "pi_1",
        eur(1999),
        f"cocreate-refund-{refund.id}",
    )
    db_session.expire_all()
    refund = db_session.get_one(Refund, refund.id)
    assert (refund.state, refund.gateway_reference, refund.done_at) == (
        RefundState.DONE,
        "re_1",
        clock.now(),
    )
    assert db_session.get_one(Order, order.id).state is S.PARTIALLY_REFUNDED
    assert sorted(m.subject for m in mail.outbox(app)) == [
        f"A refund for your order {order.number}",
        f"Your order {order.number} is confirmed",
    ]


def test_a_refund_stripe_confirms_later_keeps_its_reference(
    app: Flask,
    db_session: Session,
    order: Order,
    staff: User,
    clock: TestClock,
    fake_gateway: FakeGateway,
) -> None:
    fake_gateway.confirm_refunds = False
    refund = desk.refund(
        db_session, order, staff, quantities={}, whole=True, reason="r", at=clock.now()
    )
    db_session.commit()
    jobs.deliver(app)
    db_session.expire_all()
    refund = db_session.get_one(Refund, refund.id)
    assert (refund.state, refund.gateway_reference) == (RefundState.PENDING, "re_1")
    # The webhook, then a retry of the sender: once.
    live = db_session.get_one(Order, order.id)
    payment_events.refund_confirmed(
        db_session, live, refund_reference="re_1", amount=eur(8287), at=clock.now()
    )
    assert live.state is S.REFUNDED
    db_session.commit()
    refund_sender.send(refund.id)
    assert len(fake_gateway.refunds) == 1


def test_a_gateway_failure_is_retried_by_the_outbox(
    app: Flask,
    db_session: Session,
    order: Order,
    staff: User,
    clock: TestClock,
    fake_gateway: FakeGateway,
) -> None:
    fake_gateway.fail_refund = ConnectionError("timeout")
    refund = desk.refund(
        db_session, order, staff, quantities={}, whole=True, reason="r", at=clock.now()
    )
    db_session.commit()
    jobs.deliver(app)
    (message,) = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "shop.refund")
    )
    db_session.refresh(message)
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert message.last_error == "ConnectionError: timeout"
    assert db_session.get_one(Refund, refund.id).state is RefundState.PENDING
    fake_gateway.fail_refund = None
    jobs.deliver(app, now=clock.now() + timedelta(minutes=10))
    db_session.expire_all()
    assert db_session.get_one(Refund, refund.id).state is RefundState.DONE
    assert db_session.get_one(Order, order.id).state is S.REFUNDED


def test_the_sender_leaves_a_reference_its_webhook_already_took(
    app: Flask,
    db_session: Session,
    order: Order,
    staff: User,
    clock: TestClock,
    fake_gateway: FakeGateway,
) -> None:
    fake_gateway.confirm_refunds = False
    first = desk.refund(
        db_session, order, staff, quantities={}, whole=True, reason="r", at=clock.now()
    )
    # Its webhook came first and matched it by amount, as re_1.
    payment_events.refund_confirmed(
        db_session, order, refund_reference="re_1", amount=eur(8287), at=clock.now()
    )
    db_session.commit()
    refund_sender.send(first.id)
    assert fake_gateway.refunds == []  # done already: the gateway is not asked
