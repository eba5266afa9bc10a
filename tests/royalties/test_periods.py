"""Closing a month: one statement per creator, once; late events land in the next month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.royalties import periods
from cocreate.royalties.models import (
    LedgerTransaction,
    PeriodState,
    PeriodTransition,
    RoyaltyPeriod,
    Statement,
)
from cocreate.royalties.periods import PeriodError
from tests.royalties.conftest import Shop

pytestmark = pytest.mark.usefixtures("request_ctx")

APRIL = datetime(2026, 4, 1, tzinfo=UTC)


def _statements(session: Session) -> list[tuple[object, ...]]:
    rows = session.scalars(select(Statement).order_by(Statement.period, Statement.creator_id))
    return [
        (
            s.period,
            s.creator_id,
            s.opening_pending,
            s.opening_cleared,
            s.accrued,
            s.reversed,
            s.closing_pending,
            s.closing_cleared,
        )
        for s in rows
    ]


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2026-03", "2026-03 has not ended yet."),
        ("2026-13", "Give the month as YYYY-MM"),
        ("26-03", "Give the month as YYYY-MM"),
        ("2026-3", "Give the month as YYYY-MM"),
    ],
)
def test_a_month_closes_only_once_it_ended(
    db_session: Session, shop: Shop, period: str, message: str
) -> None:
    with pytest.raises(PeriodError, match=message):
        periods.close_period(db_session, period, actor_id=None, now=APRIL - timedelta(seconds=1))


def test_closing_writes_each_creators_statement_once(db_session: Session, shop: Shop) -> None:
    one, two = shop.design(), shop.design()
    shop.sell((shop.variant(one), 3))
    shop.sell((shop.variant(two), 1))
    result = periods.close_period(db_session, "2026-03", actor_id=shop.staff.id, now=APRIL)
    assert result == periods.CloseResult("2026-03", 2, already_closed=False)
    assert _statements(db_session) == [
        ("2026-03", one.designer_id, 0, 0, 625, 0, 625, 0),
        ("2026-03", two.designer_id, 0, 0, 208, 0, 208, 0),
    ]
    row = db_session.get_one(RoyaltyPeriod, "2026-03")
    assert (row.state, row.closed_at, row.closed_by_id) == (
        PeriodState.CLOSED,
        APRIL,
        shop.staff.id,
    )
    (audit,) = db_session.scalars(select(PeriodTransition)).all()
    assert (audit.period, audit.from_state, audit.to_state, audit.actor_id) == (
        "2026-03",
        PeriodState.OPEN,
        PeriodState.CLOSED,
        shop.staff.id,
    )
    again = periods.close_period(db_session, "2026-03", actor_id=None, now=APRIL)
    assert again == periods.CloseResult("2026-03", 0, already_closed=True)
    assert len(_statements(db_session)) == 2
    assert periods.closed_periods(db_session) == ["2026-03"]


def test_earlier_open_months_close_first_and_balances_carry_over(
    db_session: Session, shop: Shop
) -> None:
    design = shop.design()
    variant = shop.variant(design)
    order = shop.sell((variant, 3))  # March
    shop.clock.advance(timedelta(days=40))  # April 11
    (line,) = order.lines
    shop.refund(order, {line.id: 1})
    result = periods.close_period(
        db_session, "2026-05", actor_id=None, now=datetime(2026, 6, 1, tzinfo=UTC)
    )
    assert result == periods.CloseResult("2026-05", 1, already_closed=False)
    creator = design.designer_id
    assert _statements(db_session) == [
        ("2026-03", creator, 0, 0, 625, 0, 625, 0),
        ("2026-04", creator, 625, 0, 0, -208, 417, 0),
        ("2026-05", creator, 417, 0, 0, 0, 417, 0),
    ]
    assert periods.closed_periods(db_session) == ["2026-03", "2026-04", "2026-05"]
    assert [a.actor_id for a in db_session.scalars(select(PeriodTransition))] == [None] * 3


def test_a_late_refund_of_a_closed_month_lands_in_the_next(db_session: Session, shop: Shop) -> None:
    design = shop.design()
    order = shop.sell((shop.variant(design), 3))
    periods.close_period(db_session, "2026-03", actor_id=None, now=APRIL)
    (line,) = order.lines
    shop.refund(order, {line.id: 1})  # still 2 March by the clock: March is closed
    reversal = db_session.scalars(select(LedgerTransaction).order_by(LedgerTransaction.id)).all()[
        -1
    ]
    assert (reversal.period, reversal.occurred_at) == ("2026-04", shop.clock.now())
    periods.close_period(db_session, "2026-04", actor_id=None, now=datetime(2026, 5, 1, tzinfo=UTC))
    assert _statements(db_session) == [
        ("2026-03", design.designer_id, 0, 0, 625, 0, 625, 0),
        ("2026-04", design.designer_id, 625, 0, 0, -208, 417, 0),
    ]


def test_a_month_without_activity_closes_with_carried_balances_only(
    db_session: Session, shop: Shop
) -> None:
    assert periods.close_period(db_session, "2026-02", actor_id=None, now=APRIL).statements == 0
    assert periods.months("2026-11", "2027-01") == ["2026-11", "2026-12", "2027-01"]
