"""The one writer of the royalty ledger: `post()` a balanced transaction, read balances.

Append-only: a flush that would update or delete a ledger row raises `AppendOnly` (and on
PostgreSQL a trigger refuses the UPDATE or DELETE as well, for anything that goes around the
ORM). A correction is a new transaction: a reversal or an adjustment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from cocreate.core import db
from cocreate.core.money import Money
from cocreate.royalties.models import (
    ENTRY,
    Account,
    AccrualPiece,
    Kind,
    LedgerEntry,
    LedgerTransaction,
    PeriodState,
    RoyaltyPeriod,
)

#: Rows that are never changed once written.
APPEND_ONLY = (LedgerTransaction, LedgerEntry, AccrualPiece)


class Unbalanced(ValueError):
    """A transaction's legs do not sum to zero (or it has a zero or a single leg)."""


class AppendOnly(RuntimeError):
    """Something tried to change or delete a ledger row."""


@dataclass(frozen=True, slots=True)
class Leg:
    account: Account
    #: Signed minor units: positive raises the account's balance.
    amount: int


@dataclass(frozen=True, slots=True)
class Balance:
    pending: Money
    cleared: Money

    @property
    def total(self) -> Money:
        return self.pending + self.cleared


# -- periods -------------------------------------------------------------------------------------


#: "2026-10": a month of a year from 1970 to 9998 (9999-12 has no following month to end it).
PERIOD = re.compile(
    r"(?:19[7-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(?:0[1-9]|1[0-2])"
)


def is_period(text: str) -> bool:
    return PERIOD.fullmatch(text) is not None


def period_of(at: datetime) -> str:
    """The calendar month (UTC) of an instant: "2026-10"."""
    if at.tzinfo is None:
        raise ValueError("naive datetime")
    return at.astimezone(UTC).strftime("%Y-%m")


def next_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def previous_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year - (month == 1):04d}-{(month - 2) % 12 + 1:02d}"


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a period, aware UTC."""
    year, month = int(period[:4]), int(period[5:7])
    start = datetime(year, month, 1, tzinfo=UTC)
    following = next_period(period)
    return start, datetime(int(following[:4]), int(following[5:7]), 1, tzinfo=UTC)


def last_closed_period(session: Session) -> str | None:
    return session.scalar(
        select(func.max(RoyaltyPeriod.period)).where(RoyaltyPeriod.state == PeriodState.CLOSED)
    )


def open_period(session: Session, at: datetime) -> str:
    """The period a transaction happening at `at` is reported in: its own month, or the first
    open one after the last closed month (a late refund of a closed month lands here)."""
    period = period_of(at)
    closed = last_closed_period(session)
    if closed is not None and period <= closed:
        period = next_period(closed)
    while _hold(session, period):  # closed while this transaction waited for it
        period = next_period(period)
    return period


def ensure_period_row(session: Session, period: str) -> None:
    """Make the period's row (open) unless it exists; two transactions at once both succeed."""
    session.execute(
        db.upsert_insert(session)(RoyaltyPeriod)
        .values(period=period, state=PeriodState.OPEN)
        .on_conflict_do_nothing()
    )


def _hold(session: Session, period: str) -> bool:
    """Make the period's row if absent and hold it shared until the transaction ends; True if
    the period is closed. Closing a month locks its row for update, so a close waits for the
    transactions posting into the month to commit (its statements then include them), and a
    transaction posting while a close runs waits for it and moves on to the next month: no
    leg can land in a month after its statements were written."""
    ensure_period_row(session, period)
    state = session.scalar(
        select(RoyaltyPeriod.state)
        .where(RoyaltyPeriod.period == period)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    return state is PeriodState.CLOSED


# -- posting -------------------------------------------------------------------------------------


def post(
    session: Session,
    *,
    kind: Kind,
    creator_id: int,
    currency: str,
    legs: Sequence[Leg],
    at: datetime,
    pieces: Sequence[AccrualPiece] = (),
    **source: Any,
) -> LedgerTransaction:
    """Write one balanced transaction and its legs (and tier pieces); flush; return it.

    `source` sets the columns naming what it comes from (`order_line_id`, `refund_id`,
    `design_id`, `payout_id`, `schedule_id`, `related_id`, `units`, `actor_id`, `memo`).
    Raises Unbalanced unless there are two legs or more, none zero, summing to zero. The one
    exception is a royalty of zero (a 0 % tier, or a reversal rounding to nothing): no legs,
    and pieces that say which units it counts, each of amount zero.
    """
    zero_royalty = not legs and bool(pieces) and all(p.amount.is_zero() for p in pieces)
    if not zero_royalty and (len(legs) < 2 or any(leg.amount == 0 for leg in legs)):
        raise Unbalanced(f"a {kind} transaction needs two non-zero legs or more: {legs}")
    if sum(leg.amount for leg in legs) != 0:
        raise Unbalanced(f"the legs of a {kind} transaction do not sum to zero: {legs}")
    period = open_period(session, at)
    row = LedgerTransaction(
        kind=kind,
        creator_id=creator_id,
        period=period,
        occurred_at=at,
        currency=currency,
        **source,
    )
    session.add(row)
    session.flush()
    session.add_all(
        LedgerEntry(
            transaction_id=row.id,
            account=leg.account,
            creator_id=creator_id,
            period=period,
            amount=Money(leg.amount, currency),
        )
        for leg in legs
    )
    for piece in pieces:
        piece.transaction_id = row.id
        session.add(piece)
    session.flush()
    return row


# -- reading -------------------------------------------------------------------------------------


def balance(session: Session, creator_id: int, currency: str) -> Balance:
    """A creator's balance now in `currency`: pending and cleared, from every leg ever posted
    in it."""
    rows = session.execute(
        select(LedgerEntry.account, func.coalesce(func.sum(ENTRY.amount_amount), 0))
        .where(
            LedgerEntry.creator_id == creator_id,
            LedgerEntry.account.in_((Account.CREATOR_PENDING, Account.CREATOR_CLEARED)),
            ENTRY.amount_currency == currency,
        )
        .group_by(LedgerEntry.account)
    ).all()
    sums = {Account(account): int(total) for account, total in rows}
    return Balance(
        pending=Money(sums.get(Account.CREATOR_PENDING, 0), currency),
        cleared=Money(sums.get(Account.CREATOR_CLEARED, 0), currency),
    )


# -- append-only guard ---------------------------------------------------------------------------


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, APPEND_ONLY) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnly(f"ledger rows are append-only: {type(obj).__name__} {obj.id}")
