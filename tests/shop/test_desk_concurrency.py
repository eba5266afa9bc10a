"""Real races on PostgreSQL at the order desk: two staff members refunding one order at once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core import db
from cocreate.core.db import now_utc
from cocreate.core.money import Money
from cocreate.shop import desk, gateway, refunds
from cocreate.shop.models import Order, OrderState, Refund
from tests.accounts.factories import StaffFactory
from tests.concurrency import TIMEOUT, Concurrent
from tests.shop.checkout_factories import VariantFactory, place
from tests.shop.fakes import FakeGateway

pytestmark = pytest.mark.postgres_only


def test_two_staff_refunding_everything_at_once_refund_once(concurrent: Concurrent) -> None:
    """Both loaded the paid order; the first one's refund holds the order's row lock, the
    second waits for it, then plans against what is left (nothing) and is refused."""
    fake = FakeGateway(confirm_refunds=False)
    gateway.register(concurrent.app, fake)
    with concurrent.setup() as session:
        order = place(session, settings(concurrent.app), [(VariantFactory(), 2)], now=now_utc())
        order.state = OrderState.PAID
        order.payment_reference = "pi_race"
        order_id = order.id
        staff_ids = [StaffFactory().id, StaffFactory().id]
    both_loaded = threading.Barrier(2, timeout=TIMEOUT)
    first_refunded = threading.Event()
    first_may_commit = threading.Event()

    def staff_member(number: int) -> str:
        session = concurrent.session()
        with concurrent.request(session):
            order = session.get_one(Order, order_id)
            assert order.refunds == []
            staff = session.get_one(User, staff_ids[number])
            both_loaded.wait()
            if number == 1:
                assert first_refunded.wait(TIMEOUT)
            try:
                desk.refund(
                    session,
                    order,
                    staff,
                    quantities={},
                    whole=True,
                    reason="Lost parcel",
                    at=now_utc(),
                )
            except refunds.RefundError as refused:
                db.rollback()
                return str(refused)
            if number == 0:
                first_refunded.set()
                assert first_may_commit.wait(TIMEOUT)
            db.commit()
            return "refunded"

    first = concurrent.start(lambda: staff_member(0))
    second = concurrent.start(lambda: staff_member(1))
    assert first_refunded.wait(TIMEOUT)
    concurrent.wait_until_blocked(1)  # the second waits on the order's row lock
    first_may_commit.set()
    concurrent.join()

    assert (first.error, second.error) == (None, None)
    assert (first.result, second.result) == ("refunded", "Nothing is left to refund.")
    with concurrent.session() as check:
        (refund,) = check.scalars(select(Refund)).all()
        assert (refund.amount, refund.requested_by_id) == (Money(5490, "EUR"), staff_ids[0])
    assert [r.amount for r in fake.refunds] == [Money(5490, "EUR")]
