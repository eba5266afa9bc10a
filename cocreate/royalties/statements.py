"""The read side of statements: one creator's month, line by line, from the ledger.

A closed month takes its balances from its `Statement` row (written once by closing the
period); the open months compute theirs: the opening is the latest closed statement's closing
plus whatever was posted in the open months before, the closing adds the month's legs. The
lines are read with joins (ledger transaction → accrual pieces → order line → order, design),
a fixed number of queries whatever the month holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from cocreate.core.money import Money, round_minor
from cocreate.designs.models import Design
from cocreate.royalties import ledger
from cocreate.royalties.ledger import Balance
from cocreate.royalties.models import (
    CREATOR_ACCOUNTS,
    ENTRY,
    PIECE,
    Account,
    AccrualPiece,
    Kind,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PeriodState,
    RoyaltyPeriod,
    Statement,
)
from cocreate.shop.models import Order, OrderLine

#: The kinds that have tier pieces: lines of their own on a statement.
EARNING_KINDS = (Kind.ACCRUAL, Kind.REVERSAL)
#: What counts as earned: everything but clearings (pending to cleared) and payouts.
EARNED_KINDS = (Kind.ACCRUAL, Kind.REVERSAL, Kind.AWARD, Kind.ADJUSTMENT)


is_period = ledger.is_period


def signed(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """`value` for an accrual's piece, `-value` for a reversal's (pieces are stored positive)."""
    return case((LedgerTransaction.kind == Kind.REVERSAL, -value), else_=value)


def design_of_transaction() -> ColumnElement[Any]:
    """A transaction's design: its own column, else its order line's (a reversal may name only
    the line)."""
    return func.coalesce(LedgerTransaction.design_id, OrderLine.design_id)


def design_totals(
    *columns: ColumnElement[Any] | InstrumentedAttribute[Any],
) -> Select[*tuple[Any, ...]]:
    """Per design: (id, title, *columns, units, net revenue, royalties) of every accrual and
    reversal, reversals subtracted, most earning first. Callers filter (one creator) or join
    what `columns` need (the creator's name)."""
    royalties = func.sum(signed(PIECE.amount_amount))
    return (
        select(
            Design.id,
            Design.title,
            *columns,
            func.sum(signed(PIECE.units)),
            func.sum(signed(PIECE.net_base_amount)),
            royalties,
        )
        .select_from(LedgerTransaction)
        .join(AccrualPiece, AccrualPiece.transaction_id == LedgerTransaction.id)
        .outerjoin(OrderLine, OrderLine.id == LedgerTransaction.order_line_id)
        .join(Design, Design.id == design_of_transaction())
        .where(LedgerTransaction.kind.in_(EARNING_KINDS))
        .group_by(Design.id, Design.title, *columns)
        .order_by(royalties.desc(), Design.id)
    )


@dataclass(frozen=True, slots=True)
class EarningLine:
    """One tier piece of an accrual (positive) or of a reversal (units, net and amount
    negative)."""

    transaction_id: int
    kind: Kind
    day: date
    order_id: int | None
    order_number: str
    design_id: int | None
    #: The design's title as sold (copied on the order line).
    title: str
    product: str
    colour: str
    size: str
    units: int
    net: Money
    tier: int
    #: A percentage schedule's rate (0.10), or None for a per-unit one.
    rate: Decimal | None
    per_unit: Money | None
    amount: Money

    @property
    def unit_net(self) -> Money:
        """The net price of one unit (net ÷ units, rounded half-even: for reading only)."""
        if not self.units:
            return Money.zero(self.net.currency)
        return Money(round_minor(Fraction(self.net.amount, self.units)), self.net.currency)


@dataclass(frozen=True, slots=True)
class Movement:
    """An award, adjustment, clearing or payout: its effect on the creator's two accounts."""

    transaction_id: int
    kind: Kind
    day: date
    #: An adjustment's reason; a short description otherwise.
    memo: str
    design_id: int | None
    design_title: str
    payout_id: int | None
    payout_reference: str
    pending: Money
    cleared: Money

    @property
    def amount(self) -> Money:
        return self.pending + self.cleared


@dataclass(slots=True)
class DesignSubtotal:
    design_id: int | None
    title: str
    units: int
    net: Money
    royalties: Money


@dataclass(frozen=True, slots=True)
class StatementReport:
    creator_id: int
    period: str
    currency: str
    closed: bool
    opening: Balance
    closing: Balance
    lines: list[EarningLine]
    movements: list[Movement]
    designs: list[DesignSubtotal] = field(default_factory=list)

    def _sum(self, kind: Kind) -> Money:
        if kind in EARNING_KINDS:
            items = [line.amount for line in self.lines if line.kind == kind]
        else:
            items = [m.amount for m in self.movements if m.kind == kind]
        return Money.sum(items, self.currency)

    @property
    def accrued(self) -> Money:
        return self._sum(Kind.ACCRUAL)

    @property
    def reversed(self) -> Money:
        return self._sum(Kind.REVERSAL)

    @property
    def royalties(self) -> Money:
        return self.accrued + self.reversed

    @property
    def awarded(self) -> Money:
        return self._sum(Kind.AWARD)

    @property
    def adjusted(self) -> Money:
        return self._sum(Kind.ADJUSTMENT)

    @property
    def cleared_in_month(self) -> Money:
        """What moved from pending to cleared this month."""
        moved = [m.cleared for m in self.movements if m.kind == Kind.CLEARING]
        return Money.sum(moved, self.currency)

    @property
    def paid_out(self) -> Money:
        """Payouts' net effect on the cleared balance (negative; a failed one gives back)."""
        return self._sum(Kind.PAYOUT)

    @property
    def units(self) -> int:
        return sum(line.units for line in self.lines)

    @property
    def net(self) -> Money:
        return Money.sum((line.net for line in self.lines), self.currency)

    @property
    def is_empty(self) -> bool:
        return not self.lines and not self.movements


# -- lists of statements -------------------------------------------------------------------------


def statements_of(session: Session, creator_id: int) -> list[Statement]:
    """A creator's closed statements, newest first."""
    return list(
        session.scalars(
            select(Statement)
            .where(Statement.creator_id == creator_id)
            .order_by(Statement.period.desc())
        )
    )


def months_with_activity(session: Session, creator_id: int) -> list[str]:
    """The periods a creator's ledger has transactions in, newest first."""
    return list(
        session.scalars(
            select(LedgerTransaction.period)
            .distinct()
            .where(LedgerTransaction.creator_id == creator_id)
            .order_by(LedgerTransaction.period.desc())
        )
    )


def running_periods(
    session: Session, creator_id: int, now: datetime, *, carried: bool = False
) -> list[str]:
    """The open months with a running statement, newest first: those with activity, and the
    current month when a balance is `carried` into it."""
    closed = ledger.last_closed_period(session)
    current = ledger.period_of(now)
    months = {p for p in months_with_activity(session, creator_id) if closed is None or p > closed}
    if carried and (closed is None or current > closed):
        months.add(current)
    return sorted((p for p in months if p <= current), reverse=True)


# -- one statement -------------------------------------------------------------------------------


def statement(
    session: Session,
    creator_id: int,
    period: str,
    currency: str,
    *,
    now: datetime | None = None,
) -> StatementReport | None:
    """One creator's statement of `period`, or None when there is none: a closed month without
    their statement, an open month with nothing in it and nothing brought forward, a month
    after `now`'s, or a malformed period."""
    if not is_period(period) or (now is not None and period > ledger.period_of(now)):
        return None
    row = session.scalars(
        select(Statement).where(Statement.creator_id == creator_id, Statement.period == period)
    ).first()
    if row is not None:
        opening = Balance(
            Money(row.opening_pending, row.currency), Money(row.opening_cleared, row.currency)
        )
        closing = Balance(
            Money(row.closing_pending, row.currency), Money(row.closing_cleared, row.currency)
        )
        report = _report(session, creator_id, period, row.currency, opening, closing, closed=True)
        return report
    if _is_closed(session, period):
        return None
    opening, closing = _open_balances(session, creator_id, period, currency)
    report = _report(session, creator_id, period, currency, opening, closing, closed=False)
    if report.is_empty and opening.total.is_zero():
        return None
    return report


def _is_closed(session: Session, period: str) -> bool:
    state = session.scalar(select(RoyaltyPeriod.state).where(RoyaltyPeriod.period == period))
    return state == PeriodState.CLOSED


def _open_balances(
    session: Session, creator_id: int, period: str, currency: str
) -> tuple[Balance, Balance]:
    """(opening, closing) of an open month: the latest earlier statement's closing, plus the
    legs posted after it and before the month (opening), plus the month's own (closing)."""
    latest = session.scalars(
        select(Statement)
        .where(Statement.creator_id == creator_id, Statement.period < period)
        .order_by(Statement.period.desc())
        .limit(1)
    ).first()
    base = {Account.CREATOR_PENDING: 0, Account.CREATOR_CLEARED: 0}
    conditions = [
        LedgerEntry.creator_id == creator_id,
        LedgerEntry.account.in_(CREATOR_ACCOUNTS),
        LedgerEntry.period <= period,
    ]
    if latest is not None:
        base = {
            Account.CREATOR_PENDING: latest.closing_pending,
            Account.CREATOR_CLEARED: latest.closing_cleared,
        }
        conditions.append(LedgerEntry.period > latest.period)
    before = func.coalesce(
        func.sum(case((LedgerEntry.period < period, ENTRY.amount_amount), else_=0)), 0
    )
    within = func.coalesce(
        func.sum(case((LedgerEntry.period == period, ENTRY.amount_amount), else_=0)), 0
    )
    rows = session.execute(
        select(LedgerEntry.account, before, within).where(*conditions).group_by(LedgerEntry.account)
    ).all()
    opening = dict(base)
    closing = dict(base)
    for account, earlier, during in rows:
        opening[Account(account)] += int(earlier)
        closing[Account(account)] += int(earlier) + int(during)

    def balance(amounts: dict[Account, int]) -> Balance:
        return Balance(
            Money(amounts[Account.CREATOR_PENDING], currency),
            Money(amounts[Account.CREATOR_CLEARED], currency),
        )

    return balance(opening), balance(closing)


def _report(
    session: Session,
    creator_id: int,
    period: str,
    currency: str,
    opening: Balance,
    closing: Balance,
    *,
    closed: bool,
) -> StatementReport:
    lines = earning_lines(session, creator_id, period, currency)
    return StatementReport(
        creator_id=creator_id,
        period=period,
        currency=currency,
        closed=closed,
        opening=opening,
        closing=closing,
        lines=lines,
        movements=movements(session, creator_id, period, currency),
        designs=subtotals(lines, currency),
    )


def earning_lines(
    session: Session, creator_id: int, period: str, currency: str
) -> list[EarningLine]:
    """The month's accruals and reversals, one line per tier piece, in the order they
    happened."""
    design_id = design_of_transaction()
    kind = LedgerTransaction.kind
    rows = session.execute(
        select(
            LedgerTransaction.id,
            kind,
            LedgerTransaction.occurred_at,
            Order.id,
            Order.number,
            design_id,
            func.coalesce(OrderLine.title, Design.title, ""),
            OrderLine.product,
            OrderLine.colour,
            OrderLine.size,
            PIECE.tier,
            signed(PIECE.units),
            PIECE.rate,
            PIECE.per_unit_amount,
            signed(PIECE.net_base_amount),
            signed(PIECE.amount_amount),
        )
        .join(AccrualPiece, AccrualPiece.transaction_id == LedgerTransaction.id)
        .outerjoin(OrderLine, OrderLine.id == LedgerTransaction.order_line_id)
        .outerjoin(Order, Order.id == OrderLine.order_id)
        .outerjoin(Design, Design.id == design_id)
        .where(
            LedgerTransaction.creator_id == creator_id,
            LedgerTransaction.period == period,
            kind.in_(EARNING_KINDS),
        )
        .order_by(LedgerTransaction.occurred_at, LedgerTransaction.id, PIECE.tier)
    ).all()
    return [
        EarningLine(
            transaction_id=tx_id,
            kind=Kind(tx_kind),
            day=occurred_at.date(),
            order_id=order_id,
            order_number=number or "",
            design_id=design,
            title=title,
            product=product or "",
            colour=colour or "",
            size=size or "",
            units=int(units),
            net=Money(int(net), currency),
            tier=tier,
            rate=rate,
            per_unit=None if per_unit is None else Money(int(per_unit), currency),
            amount=Money(int(amount), currency),
        )
        for (
            tx_id,
            tx_kind,
            occurred_at,
            order_id,
            number,
            design,
            title,
            product,
            colour,
            size,
            tier,
            units,
            rate,
            per_unit,
            net,
            amount,
        ) in rows
    ]


def movements(session: Session, creator_id: int, period: str, currency: str) -> list[Movement]:
    """The month's awards, adjustments, clearings and payouts, each with its effect on the
    creator's pending and cleared balances (a payout's arrival, which moves no creator money,
    is not one)."""
    pending = func.sum(
        case((LedgerEntry.account == Account.CREATOR_PENDING, ENTRY.amount_amount), else_=0)
    )
    cleared = func.sum(
        case((LedgerEntry.account == Account.CREATOR_CLEARED, ENTRY.amount_amount), else_=0)
    )
    tx = LedgerTransaction
    rows = session.execute(
        select(
            tx.id,
            tx.kind,
            tx.occurred_at,
            tx.memo,
            tx.design_id,
            Design.title,
            tx.payout_id,
            Payout.reference,
            pending,
            cleared,
        )
        .join(LedgerEntry, LedgerEntry.transaction_id == tx.id)
        .outerjoin(Design, Design.id == tx.design_id)
        .outerjoin(Payout, Payout.id == tx.payout_id)
        .where(
            tx.creator_id == creator_id,
            tx.period == period,
            tx.kind.not_in(EARNING_KINDS),
            LedgerEntry.account.in_(CREATOR_ACCOUNTS),
        )
        .group_by(
            tx.id,
            tx.kind,
            tx.occurred_at,
            tx.memo,
            tx.design_id,
            Design.title,
            tx.payout_id,
            Payout.reference,
        )
        .order_by(tx.occurred_at, tx.id)
    ).all()
    return [
        Movement(
            transaction_id=tx_id,
            kind=Kind(kind),
            day=occurred_at.date(),
            memo=memo or "",
            design_id=design_id,
            design_title=title or "",
            payout_id=payout_id,
            payout_reference=reference or "",
            pending=Money(int(p), currency),
            cleared=Money(int(c), currency),
        )
        for tx_id, kind, occurred_at, memo, design_id, title, payout_id, reference, p, c in rows
    ]


def subtotals(lines: Sequence[EarningLine], currency: str) -> list[DesignSubtotal]:
    """Per design: units, net revenue and royalties (accruals minus reversals), in the order
    the designs first appear."""
    by_design: dict[int | None, DesignSubtotal] = {}
    for line in lines:
        total = by_design.get(line.design_id)
        if total is None:
            total = by_design[line.design_id] = DesignSubtotal(
                line.design_id, line.title, 0, Money.zero(currency), Money.zero(currency)
            )
        total.units += line.units
        total.net += line.net
        total.royalties += line.amount
    return list(by_design.values())
