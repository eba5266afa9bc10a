"""The statement read side: lines, movements, subtotals and balances of a creator's month."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from cocreate.royalties import statements
from cocreate.royalties.models import Kind
from cocreate.royalties.statements import StatementReport
from tests.accounts.factories import UserFactory
from tests.royalties.statement_factories import (
    March,
    accrue,
    closed_statement,
    day,
    march,
    on_sale,
    paid_order,
    piece,
)

pytestmark = pytest.mark.usefixtures("request_ctx")

END_OF_MARCH = datetime(2026, 3, 31, 23, 0, tzinfo=UTC)


@pytest.fixture
def zoe(app: Flask, db_session: Session) -> March:
    return march(app, db_session)


def _report(session: Session, creator_id: int, period: str = "2026-03") -> StatementReport:
    report = statements.statement(session, creator_id, period, "EUR", now=END_OF_MARCH)
    assert report is not None
    return report


def test_lines_one_per_tier_piece_with_reversals_negative(db_session: Session, zoe: March) -> None:
    report = _report(db_session, zoe.creator.id)
    rows = [
        (
            line.kind,
            line.day.isoformat(),
            line.order_number,
            line.title,
            f"{line.product}/{line.colour}/{line.size}",
            line.units,
            line.unit_net.amount,
            line.net.amount,
            line.tier,
            line.rate,
            line.amount.amount,
        )
        for line in report.lines
    ]
    a, b = zoe.order_a, zoe.order_b
    sale, refund = Kind.ACCRUAL, Kind.REVERSAL
    assert rows == [
        (sale, "2026-03-02", a, "Midnight Tide", "tee/black/M", 2, 2084, 4167, 1, D("0.10"), 417),
        (sale, "2026-03-05", b, "Quiet Dunes", "tee/white/L", 2, 2500, 5000, 1, D("0.10"), 500),
        (sale, "2026-03-05", b, "Quiet Dunes", "tee/white/L", 1, 2500, 2500, 2, D("0.12"), 300),
        (
            refund,
            "2026-03-10",
            a,
            "Midnight Tide",
            "tee/black/M",
            -1,
            2083,
            -2083,
            1,
            D("0.10"),
            -208,
        ),
    ]


def test_subtotals_per_design_are_accruals_minus_reversals(db_session: Session, zoe: March) -> None:
    report = _report(db_session, zoe.creator.id)
    assert [(d.title, d.units, d.net.amount, d.royalties.amount) for d in report.designs] == [
        ("Midnight Tide", 1, 2084, 209),
        ("Quiet Dunes", 3, 7500, 800),
    ]
    assert (report.units, report.net.amount, report.royalties.amount) == (4, 9584, 1009)
    assert (report.accrued.amount, report.reversed.amount) == (1217, -208)


def test_awards_adjustments_clearings_and_payouts(db_session: Session, zoe: March) -> None:
    report = _report(db_session, zoe.creator.id)
    assert [
        (m.kind, m.day.isoformat(), m.pending.amount, m.cleared.amount, m.memo, m.design_title)
        for m in report.movements
    ] == [
        (Kind.AWARD, "2026-03-03", 0, 500, "approval award", "Quiet Dunes"),
        (Kind.ADJUSTMENT, "2026-03-20", 0, -150, "Duplicate award corrected", ""),
        (Kind.CLEARING, "2026-03-25", -800, 800, "", ""),
        (Kind.PAYOUT, "2026-03-28", 0, -1000, "", ""),
    ]
    assert report.movements[3].payout_reference == "BANK-42"
    assert (report.awarded.amount, report.adjusted.amount) == (500, -150)
    assert (report.cleared_in_month.amount, report.paid_out.amount) == (800, -1000)


def test_an_open_month_computes_its_balances(db_session: Session, zoe: March) -> None:
    report = _report(db_session, zoe.creator.id)
    assert not report.closed
    assert (report.opening.pending.amount, report.opening.cleared.amount) == (0, 0)
    assert (report.closing.pending.amount, report.closing.cleared.amount) == (209, 150)


def test_a_closed_month_takes_its_balances_from_its_statement_row(
    app: Flask, db_session: Session, zoe: March
) -> None:
    # The stored row is what closing wrote; the page shows it as it is.
    closed_statement(
        db_session,
        zoe.creator,
        "2026-03",
        opening=(0, 0),
        closing=(209, 150),
        at=datetime(2026, 4, 1, 1, tzinfo=UTC),
    )
    march_report = _report(db_session, zoe.creator.id)
    assert march_report.closed
    assert (march_report.closing.pending.amount, march_report.closing.cleared.amount) == (209, 150)
    assert len(march_report.lines) == 4

    # April opens with March's closing; a sale in April adds to it.
    april = datetime(2026, 4, 3, 10, tzinfo=UTC)
    line = paid_order(app, db_session, zoe.tide, 1, at=april, reference="pi_c")
    accrue(db_session, line, [piece(1, 2083, 208)], at=april)
    report = statements.statement(db_session, zoe.creator.id, "2026-04", "EUR", now=april)
    assert report is not None and not report.closed
    assert (report.opening.pending.amount, report.opening.cleared.amount) == (209, 150)
    assert (report.closing.pending.amount, report.closing.cleared.amount) == (417, 150)


def test_the_opening_of_an_open_month_follows_an_older_statement(
    app: Flask, db_session: Session
) -> None:
    # February closed with a statement (10.00 pending); March is open with nothing of Zoë's
    # closed; April's opening is February's closing plus March's legs.
    creator = UserFactory()
    design = on_sale(creator, "Harbour Lights")
    closed_statement(
        db_session, creator, "2026-02", closing=(1000, 0), at=datetime(2026, 3, 1, tzinfo=UTC)
    )
    line = paid_order(app, db_session, design, 2, at=day(4), reference="pi_x")
    accrue(db_session, line, [piece(2, 4167, 417)], at=day(4))
    report = statements.statement(
        db_session, creator.id, "2026-04", "EUR", now=datetime(2026, 4, 2, tzinfo=UTC)
    )
    assert report is not None and report.is_empty
    assert (report.opening.pending.amount, report.closing.pending.amount) == (1417, 1417)


@pytest.mark.parametrize("period", ["2026-3", "2026-13", "2026-00", "26-03", "2026-03x", ""])
def test_a_malformed_period_has_no_statement(db_session: Session, zoe: March, period: str) -> None:
    assert statements.statement(db_session, zoe.creator.id, period, "EUR") is None


def test_months_without_a_statement(db_session: Session, zoe: March) -> None:
    other = UserFactory()
    # Another member has nothing in March; nobody has anything in February.
    assert statements.statement(db_session, other.id, "2026-03", "EUR", now=END_OF_MARCH) is None
    assert statements.statement(db_session, zoe.creator.id, "2026-02", "EUR") is None
    # April is after "now": no running statement yet, even with a balance carried.
    assert (
        statements.statement(db_session, zoe.creator.id, "2026-04", "EUR", now=END_OF_MARCH) is None
    )
    # A closed month without the creator's statement row has none.
    closed_statement(db_session, other, "2026-03", closing=(0, 0), at=END_OF_MARCH)
    db_session.flush()
    assert statements.statement(db_session, UserFactory().id, "2026-03", "EUR") is None


def test_lists_of_months(db_session: Session, zoe: March) -> None:
    first = closed_statement(
        db_session, zoe.creator, "2026-01", closing=(0, 0), at=datetime(2026, 2, 1, tzinfo=UTC)
    )
    second = closed_statement(
        db_session, zoe.creator, "2026-02", closing=(0, 0), at=datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert statements.statements_of(db_session, zoe.creator.id) == [second, first]
    assert statements.months_with_activity(db_session, zoe.creator.id) == ["2026-03"]
    assert statements.running_periods(db_session, zoe.creator.id, END_OF_MARCH) == ["2026-03"]
    april = datetime(2026, 4, 2, tzinfo=UTC)
    assert statements.running_periods(db_session, zoe.creator.id, april) == ["2026-03"]
    assert statements.running_periods(db_session, zoe.creator.id, april, carried=True) == [
        "2026-04",
        "2026-03",
    ]
