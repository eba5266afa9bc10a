"""Real races on PostgreSQL: two orders of one design paid at once take distinct unit numbers;
two closes of one month at once write each statement once; a close and a posting into its month
never let a leg land in a month already closed."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from cocreate.config import settings
from cocreate.core import db
from cocreate.royalties import accruals, clearing, ledger, periods
from cocreate.royalties.ledger import Leg
from cocreate.royalties.models import Account, AccrualPiece, DesignUnits, Kind, Statement
from cocreate.shop import payment_events
from cocreate.shop.models import Order
from tests.accounts.factories import UserFactory
from tests.concurrency import TIMEOUT, Concurrent
from tests.shop.checkout_factories import VariantFactory, place

pytestmark = pytest.mark.postgres_only

PAID_AT = datetime(2026, 10, 5, 12, tzinfo=UTC)


def _pay(concurrent: Concurrent, order_id: int, start: threading.Barrier) -> None:
    session = concurrent.session()
    with concurrent.request(session):
        order = session.get_one(Order, order_id)
        start.wait()
        payment_events.payment_succeeded(
            session, order, payment_reference=f"pi_{order_id}", amount=order.total, at=PAID_AT
        )
        db.commit()


def _orders(concurrent: Concurrent, quantities: list[int]) -> tuple[int, list[int]]:
    with concurrent.setup() as session:
        variant = VariantFactory(stock_on_hand=50)
        design_id = variant.design_id
        ids = [
            place(session, settings(concurrent.app), [(variant, q)], now=PAID_AT).id
            for q in quantities
        ]
    return design_id, ids


def test_two_orders_of_one_design_paid_at_once_get_their_own_units(
    concurrent: Concurrent,
) -> None:
    design_id, ids = _orders(concurrent, [3, 4])
    start = threading.Barrier(2, timeout=TIMEOUT)
    outcomes = [concurrent.start(lambda i=i: _pay(concurrent, i, start)) for i in ids]
    concurrent.join()
    assert [o.error for o in outcomes] == [None, None]
    with concurrent.session() as check:
        firsts = sorted(check.scalars(select(AccrualPiece.first_unit)))
        # One order took units 1–3 and the other 4–7, or 1–4 and 5–7.
        assert firsts in ([1, 4], [1, 5])
        assert (
            check.scalar(select(DesignUnits.units).where(DesignUnits.design_id == design_id)) == 7
        )


def test_two_closes_of_one_month_write_each_statement_once(concurrent: Concurrent) -> None:
    _design, ids = _orders(concurrent, [1, 2])
    start = threading.Barrier(2, timeout=TIMEOUT)
    for outcome in [concurrent.start(lambda i=i: _pay(concurrent, i, start)) for i in ids]:
        assert outcome.thread is not None
    concurrent.join()
    now = datetime(2026, 11, 2, tzinfo=UTC)
    first_closed = threading.Event()
    release = threading.Event()

    def close(hold: bool) -> periods.CloseResult:
        session = concurrent.session()
        with concurrent.request(session):
            result = periods.close_period(session, "2026-10", actor_id=None, now=now)
            if hold:
                first_closed.set()
                assert release.wait(TIMEOUT)
            db.commit()
            return result

    first = concurrent.start(lambda: close(True))
    assert first_closed.wait(TIMEOUT)
    second = concurrent.start(lambda: close(False))
    concurrent.wait_until_blocked()
    release.set()
    concurrent.join()
    assert (first.error, second.error) == (None, None)
    assert first.result == periods.CloseResult("2026-10", 1, already_closed=False)
    assert second.result == periods.CloseResult("2026-10", 0, already_closed=True)
    with concurrent.session() as check:
        assert check.scalar(select(func.count()).select_from(Statement)) == 1


def test_a_close_waits_for_a_transaction_posting_into_its_month(concurrent: Concurrent) -> None:
    """A bonus posted at 23:59 on 31 October, still uncommitted when staff close October: the
    close waits for it, so October's statement includes it instead of it landing, unseen,
    in a month already closed."""
    with concurrent.setup():
        creator_id = UserFactory().id
    posted = threading.Event()
    release = threading.Event()

    def post() -> None:
        session = concurrent.session()
        with concurrent.request(session):
            ledger.post(
                session,
                kind=Kind.ADJUSTMENT,
                creator_id=creator_id,
                currency="EUR",
                legs=[Leg(Account.CREATOR_CLEARED, 500), Leg(Account.ROYALTY_EXPENSE, -500)],
                at=datetime(2026, 10, 31, 23, 59, tzinfo=UTC),
                memo="late bonus",
            )
            posted.set()
            assert release.wait(TIMEOUT)
            db.commit()

    def close() -> periods.CloseResult:
        session = concurrent.session()
        with concurrent.request(session):
            result = periods.close_period(
                session, "2026-10", actor_id=None, now=datetime(2026, 11, 1, tzinfo=UTC)
            )
            db.commit()
            return result

    poster = concurrent.start(post)
    assert posted.wait(TIMEOUT)
    closer = concurrent.start(close)
    concurrent.wait_until_blocked()
    release.set()
    concurrent.join()
    assert (poster.error, closer.error) == (None, None)
    assert closer.result == periods.CloseResult("2026-10", 1, already_closed=False)
    with concurrent.session() as check:
        statement = check.scalars(select(Statement)).one()
        assert (statement.period, statement.adjusted, statement.closing_cleared) == (
            "2026-10",
            500,
            500,
        )


def test_a_post_after_a_close_began_lands_in_the_next_month(concurrent: Concurrent) -> None:
    """Staff close October while a bonus dated 31 October is being posted: it waits for the
    close and lands in November."""
    with concurrent.setup():
        creator_id = UserFactory().id
    closing = threading.Event()
    release = threading.Event()

    def close() -> None:
        session = concurrent.session()
        with concurrent.request(session):
            periods.close_period(
                session, "2026-10", actor_id=None, now=datetime(2026, 11, 1, tzinfo=UTC)
            )
            closing.set()
            assert release.wait(TIMEOUT)
            db.commit()

    def post() -> str:
        session = concurrent.session()
        with concurrent.request(session):
            row = ledger.post(
                session,
                kind=Kind.ADJUSTMENT,
                creator_id=creator_id,
                currency="EUR",
                legs=[Leg(Account.CREATOR_CLEARED, 500), Leg(Account.ROYALTY_EXPENSE, -500)],
                at=datetime(2026, 10, 31, 23, 59, tzinfo=UTC),
                memo="late bonus",
            )
            db.commit()
            return row.period

    closer = concurrent.start(close)
    assert closing.wait(TIMEOUT)
    poster = concurrent.start(post)
    concurrent.wait_until_blocked()
    release.set()
    concurrent.join()
    assert (closer.error, poster.error) == (None, None)
    assert poster.result == "2026-11"


def test_clearing_waits_for_a_refund_reversing_the_same_accrual(concurrent: Concurrent) -> None:
    """A refund reversing a whole line while the daily clearing runs: clearing waits for the
    refund's lock on the accrual and then finds nothing left to clear (without the lock it would
    move the whole accrual to cleared earnings, payable, while the refund takes it back from
    pending)."""
    _design, (order_id,) = _orders(concurrent, [2])
    _pay(concurrent, order_id, threading.Barrier(1, timeout=TIMEOUT))
    with concurrent.setup() as session:
        session.get_one(Order, order_id).fulfilled_at = PAID_AT
    locked = threading.Event()
    release = threading.Event()

    def refund() -> None:
        session = concurrent.session()
        with concurrent.request(session):
            order = session.get_one(Order, order_id)
            (accrual,) = accruals._accruals(session, order, lock=True).values()
            locked.set()
            assert release.wait(TIMEOUT)
            (leg,) = [e for e in accrual.entries if e.account is Account.CREATOR_PENDING]
            ledger.post(
                session,
                kind=Kind.REVERSAL,
                creator_id=accrual.creator_id,
                currency="EUR",
                legs=[
                    Leg(Account.CREATOR_PENDING, -leg.amount.amount),
                    Leg(Account.ROYALTY_EXPENSE, leg.amount.amount),
                ],
                at=PAID_AT,
                related_id=accrual.id,
                order_line_id=accrual.order_line_id,
                units=2,
            )
            db.commit()

    def clear() -> int:
        session = concurrent.session()
        with concurrent.request(session):
            now = datetime(2026, 12, 1, tzinfo=UTC)
            count = clearing.clear_due(session, now=now, settings=settings(concurrent.app))
            db.commit()
            return count

    refunder = concurrent.start(refund)
    assert locked.wait(TIMEOUT)
    clearer = concurrent.start(clear)
    concurrent.wait_until_blocked()
    release.set()
    concurrent.join()
    assert (refunder.error, clearer.error, clearer.result) == (None, None, 0)
