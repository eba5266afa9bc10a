"""A creator's royalties at a glance: balance, earned to date, earnings per design and per
month, and their statements. A fixed number of aggregate queries, whatever the history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from cocreate.core.money import Money
from cocreate.designs.models import Design
from cocreate.royalties import ledger
from cocreate.royalties.ledger import Balance
from cocreate.royalties.models import (
    CREATOR_ACCOUNTS,
    ENTRY,
    LedgerEntry,
    LedgerTransaction,
    Statement,
)
from cocreate.royalties.statements import (
    EARNED_KINDS,
    design_totals,
    running_periods,
    statements_of,
)

#: Months shown on the earnings chart, the current one included.
CHART_MONTHS = 12


@dataclass(frozen=True, slots=True)
class DesignEarnings:
    design_id: int
    title: str
    units: int
    net: Money
    royalties: Money


@dataclass(frozen=True, slots=True)
class MonthEarnings:
    period: str
    earned: Money


@dataclass(frozen=True, slots=True)
class Dashboard:
    #: Whether the member has designs or ledger rows at all (else the page explains royalties).
    is_creator: bool
    balance: Balance
    earned: Money
    designs: list[DesignEarnings]
    months: list[MonthEarnings]
    statements: list[Statement]
    running: list[str]


def is_creator(session: Session, user_id: int) -> bool:
    """Whether a member has designs or royalties: who sees the royalties link and page."""
    has_design = exists().where(Design.designer_id == user_id)
    has_ledger = exists().where(LedgerTransaction.creator_id == user_id)
    return bool(session.scalar(select(or_(has_design, has_ledger))))


def last_months(period: str, count: int = CHART_MONTHS) -> list[str]:
    """`count` months ending with `period`, oldest first."""
    months = [period]
    while len(months) < count:
        months.append(ledger.previous_period(months[-1]))
    return months[::-1]


def earned_by_period(session: Session, creator_id: int) -> dict[str, int]:
    """What a creator earned in each period (accruals − reversals + awards + adjustments)."""
    rows = session.execute(
        select(LedgerEntry.period, func.sum(ENTRY.amount_amount))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(
            LedgerEntry.creator_id == creator_id,
            LedgerEntry.account.in_(CREATOR_ACCOUNTS),
            LedgerTransaction.kind.in_(EARNED_KINDS),
        )
        .group_by(LedgerEntry.period)
    ).all()
    return {period: int(total) for period, total in rows}


def design_earnings(session: Session, creator_id: int, currency: str) -> list[DesignEarnings]:
    """Per design: units sold net of refunds, their net revenue and royalties, most earning
    first."""
    rows = session.execute(design_totals().where(LedgerTransaction.creator_id == creator_id)).all()
    return [
        DesignEarnings(
            design_id=design,
            title=title,
            units=int(units),
            net=Money(int(net), currency),
            royalties=Money(int(amount), currency),
        )
        for design, title, units, net, amount in rows
    ]


def dashboard(session: Session, creator_id: int, currency: str, *, now: datetime) -> Dashboard:
    by_period = earned_by_period(session, creator_id)
    current = ledger.period_of(now)
    months = [
        MonthEarnings(period, Money(by_period.get(period, 0), currency))
        for period in last_months(current)
    ]
    balance = ledger.balance(session, creator_id, currency)
    return Dashboard(
        is_creator=is_creator(session, creator_id),
        balance=balance,
        earned=Money(sum(by_period.values()), currency),
        designs=design_earnings(session, creator_id, currency),
        months=months,
        statements=statements_of(session, creator_id),
        running=running_periods(session, creator_id, now, carried=not balance.total.is_zero()),
    )
