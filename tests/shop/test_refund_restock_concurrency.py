"""Real races on PostgreSQL when refunds return units to stock: two refunds of two orders
putting the same variant back at once both count, and two refunds bringing back one size in
two colours at once tell a member waiting for its reprint once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.config import settings
from cocreate.core import db
from cocreate.core.db import now_utc
from cocreate.designs.models import DesignState
from cocreate.production.models import Variant
from cocreate.production.reprint_models import ReprintRequest
from cocreate.shop import desk, gateway, payment_events
from cocreate.shop.models import Order, OrderState, Refund, RefundState
from cocreate.voting.notify_models import Notification
from tests.accounts.factories import StaffFactory, UserFactory
from tests.concurrency import TIMEOUT, Concurrent
from tests.designs.factories import DesignFactory
from tests.shop.checkout_factories import VariantFactory, place
from tests.shop.fakes import FakeGateway

pytestmark = pytest.mark.postgres_only


def _paid_with_refund(
    concurrent: Concurrent, session: Session, variant: Variant, units: int
) -> int:
    """An order of `units` of the variant, paid, with a pending staff refund of them all that
    returns them to stock; its id. In `concurrent.setup()`'s session."""
    order = place(session, settings(concurrent.app), [(variant, units)], now=now_utc())
    order.state = OrderState.PAID
    order.payment_reference = f"pi_{order.id}"
    session.flush()
    desk.refund(
        session,
        order,
        StaffFactory(),
        quantities={order.lines[0].id: units},
        whole=False,
        reason="Never shipped",
        at=now_utc(),
        restock=True,
    )
    return order.id


def _confirmer(
    concurrent: Concurrent,
    order_id: int,
    at: datetime,
    *,
    before: threading.Event | None = None,
    done: threading.Event | None = None,
    may_commit: threading.Event | None = None,
) -> Callable[[], str]:
    """The gateway confirming the order's refund (its webhook), in its own transaction: waits
    for `before`, signals `done` once confirmed, then waits for `may_commit`."""

    def confirm() -> str:
        if before is not None:
            assert before.wait(TIMEOUT)
        session = concurrent.session()
        with concurrent.request(session):
            order = session.get_one(Order, order_id)
            (refund,) = order.refunds
            payment_events.refund_confirmed(
                session, order, refund_reference=f"re_{order_id}", amount=refund.amount, at=at
            )
            if done is not None:
                done.set()
            if may_commit is not None:
                assert may_commit.wait(TIMEOUT)
            db.commit()
            return "confirmed"

    return confirm


def test_two_refunds_restocking_one_variant_at_once_both_count(concurrent: Concurrent) -> None:
    """The first confirmation has added its 2 units and holds the variant's row; the second
    waits for it, then adds its 3 to what the first committed: 5 + 2 + 3."""
    gateway.register(concurrent.app, FakeGateway(confirm_refunds=False))
    with concurrent.setup() as session:
        variant = VariantFactory(stock_on_hand=10)
        first_id = _paid_with_refund(concurrent, session, variant, 2)
        second_id = _paid_with_refund(concurrent, session, variant, 3)
        variant_id = variant.id
    with concurrent.session() as check:
        assert check.get_one(Variant, variant_id).stock_on_hand == 5
    first_restocked = threading.Event()
    first_may_commit = threading.Event()
    at = now_utc()

    first = concurrent.start(
        _confirmer(concurrent, first_id, at, done=first_restocked, may_commit=first_may_commit)
    )
    second = concurrent.start(_confirmer(concurrent, second_id, at, before=first_restocked))
    assert first_restocked.wait(TIMEOUT)
    concurrent.wait_until_blocked(1)  # the second waits on the variant's row
    first_may_commit.set()
    concurrent.join()

    assert (first.error, second.error) == (None, None)
    assert (first.result, second.result) == ("confirmed", "confirmed")
    with concurrent.session() as check:
        assert check.get_one(Variant, variant_id).stock_on_hand == 10
        states = check.scalars(select(Refund.state).order_by(Refund.id)).all()
        assert states == [RefundState.DONE, RefundState.DONE]


def test_one_size_back_in_two_colours_at_once_tells_the_member_once(
    concurrent: Concurrent,
) -> None:
    """Black M and white M were both sold out and a member asked for a reprint of M. Two
    refunds put one of each back at once: they lock different variants, so both reach the
    request; the second waits on its row, then finds it fulfilled and tells no one again."""
    gateway.register(concurrent.app, FakeGateway(confirm_refunds=False))
    with concurrent.setup() as session:
        design = DesignFactory(state=DesignState.ON_SALE)
        black = VariantFactory(design=design, colour="black", stock_on_hand=1)
        white = VariantFactory(design=design, colour="white", stock_on_hand=1)
        first_id = _paid_with_refund(concurrent, session, black, 1)
        second_id = _paid_with_refund(concurrent, session, white, 1)
        member_id = UserFactory().id
        session.add(
            ReprintRequest(design_id=design.id, requester_id=member_id, product="tee", size="M")
        )
    first_fulfilled = threading.Event()
    first_may_commit = threading.Event()
    first_at = now_utc()

    first = concurrent.start(
        _confirmer(
            concurrent, first_id, first_at, done=first_fulfilled, may_commit=first_may_commit
        )
    )
    second = concurrent.start(
        _confirmer(concurrent, second_id, first_at + timedelta(minutes=1), before=first_fulfilled)
    )
    assert first_fulfilled.wait(TIMEOUT)
    concurrent.wait_until_blocked(1)  # the second waits on the request's row
    first_may_commit.set()
    concurrent.join()

    assert (first.error, second.error) == (None, None)
    with concurrent.session() as check:
        stocks = check.scalars(select(Variant.stock_on_hand).order_by(Variant.id)).all()
        assert stocks == [1, 1]
        request = check.scalars(select(ReprintRequest)).one()
        assert request.fulfilled_at == first_at
        told = check.scalars(select(Notification.recipient_id)).all()
        assert told == [member_id]
