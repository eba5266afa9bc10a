"""Closing a month: every creator's statement, written once, in one set-based statement.

`close_period("2026-10")` refuses a month that has not ended. It closes every earlier open
month with ledger activity first, in order, then the month: its `RoyaltyPeriod` row moves open
→ closed through core's `transition()` (row lock, audit row), and one `Statement` is inserted
per creator with a leg in the month or a balance before it, by a single INSERT … SELECT …
GROUP BY creator over the month's legs and the creators' previous statements; no leg is loaded
into Python. Closing a closed month changes nothing; of two closes at once, the second waits
on the period's row lock and finds it closed. What happens after a month closed is reported in
the next open one (`ledger.open_period`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, func, select, text
from sqlalchemy.orm import Session

from cocreate.core.db import UTCDateTime
from cocreate.core.lifecycle import TransitionTable, transition
from cocreate.royalties import ledger
from cocreate.royalties.models import (
    LedgerEntry,
    PeriodState,
    PeriodTransition,
    RoyaltyPeriod,
)

TRANSITIONS: TransitionTable[PeriodState] = TransitionTable(
    PeriodState, {PeriodState.OPEN: {PeriodState.CLOSED}, PeriodState.CLOSED: set()}
)


class PeriodError(ValueError):
    """A month that cannot be closed; `str()` is a user message."""


@dataclass(frozen=True)
class CloseResult:
    period: str
    #: Statements written by this call for `period` (0 when it was closed already).
    statements: int
    already_closed: bool


# Each creator's movements in the month, by kind and account, on top of their previous
# statement's closing balances. Rows of the previous statements and of the month's legs are
# stacked (UNION ALL) and summed per creator: one pass over the month's legs. A leg and its
# transaction share their period, so only the month's transactions are joined (their kind read
# from the index on (period, id), not from a scan of every transaction).
_STATEMENTS = text(
    """
    INSERT INTO royalty_statements (
        creator_id, period, currency, opening_pending, opening_cleared, closing_pending,
        closing_cleared, accrued, reversed, awarded, adjusted, paid_out, created_at
    )
    SELECT creator_id, :period, max(currency), sum(op), sum(oc), sum(op) + sum(mp),
        sum(oc) + sum(mc), sum(acc), sum(rev), sum(awd), sum(adj), sum(pay), :now
    FROM (
        SELECT s.creator_id AS creator_id, s.currency AS currency, s.closing_pending AS op,
            s.closing_cleared AS oc, 0 AS legs, 0 AS mp, 0 AS mc, 0 AS acc, 0 AS rev,
            0 AS awd, 0 AS adj, 0 AS pay
        FROM royalty_statements s
        JOIN (
            SELECT creator_id, max(period) AS period FROM royalty_statements
            WHERE period < :period GROUP BY creator_id
        ) latest ON latest.creator_id = s.creator_id AND latest.period = s.period
        UNION ALL
        SELECT e.creator_id, e.amount_currency, 0, 0, 1,
            CASE WHEN e.account = 'creator_pending' THEN e.amount_amount ELSE 0 END,
            CASE WHEN e.account = 'creator_cleared' THEN e.amount_amount ELSE 0 END,
            CASE WHEN t.kind = 'accrual' THEN e.amount_amount ELSE 0 END,
            CASE WHEN t.kind = 'reversal' THEN e.amount_amount ELSE 0 END,
            CASE WHEN t.kind = 'award' THEN e.amount_amount ELSE 0 END,
            CASE WHEN t.kind = 'adjustment' THEN e.amount_amount ELSE 0 END,
            CASE WHEN t.kind = 'payout' THEN e.amount_amount ELSE 0 END
        FROM ledger_entries e
        JOIN ledger_transactions t ON t.id = e.transaction_id AND t.period = e.period
        WHERE e.period = :period AND t.period = :period
            AND e.account IN ('creator_pending', 'creator_cleared')
    ) movements
    GROUP BY creator_id
    HAVING sum(legs) > 0 OR sum(op) <> 0 OR sum(oc) <> 0
    """
).bindparams(bindparam("now", type_=UTCDateTime()))


def closed_periods(session: Session) -> list[str]:
    """Closed months, oldest first."""
    return list(
        session.scalars(
            select(RoyaltyPeriod.period)
            .where(RoyaltyPeriod.state == PeriodState.CLOSED)
            .order_by(RoyaltyPeriod.period)
        )
    )


def months(first: str, last: str) -> list[str]:
    """`first` … `last` inclusive ("2026-11", "2027-01" → three months)."""
    found = []
    month = first
    while month <= last:
        found.append(month)
        month = ledger.next_period(month)
    return found


def _open_months_before(session: Session, period: str) -> list[str]:
    """Open months before `period` with ledger activity, oldest first. Months before the last
    closed one are all closed (nothing is posted into a month once a later one closed), so
    only those after it are looked at, one indexed EXISTS each."""
    last = ledger.last_closed_period(session)
    first = (
        ledger.next_period(last)
        if last is not None
        else session.scalar(select(func.min(LedgerEntry.period)))
    )
    if first is None:
        return []
    candidates = months(first, ledger.previous_period(period))
    return [
        month
        for month in candidates
        if session.scalar(select(exists().where(LedgerEntry.period == month)))
        and not session.scalar(
            select(
                exists().where(
                    RoyaltyPeriod.period == month, RoyaltyPeriod.state == PeriodState.CLOSED
                )
            )
        )
    ]


def _lock(session: Session, period: str) -> RoyaltyPeriod:
    """The period's row, made if absent and locked: a second closer waits here."""
    ledger.ensure_period_row(session, period)
    return session.scalars(
        select(RoyaltyPeriod)
        .where(RoyaltyPeriod.period == period)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _refused(state: PeriodState) -> str:
    return _("This month is already closed.")


def _close_one(session: Session, period: str, actor_id: int | None, now: datetime) -> CloseResult:
    row = _lock(session, period)
    if row.state is PeriodState.CLOSED:
        return CloseResult(period, 0, already_closed=True)
    written = session.execute(_STATEMENTS, {"period": period, "now": now})
    transition(
        session,
        row,
        PeriodState.CLOSED,
        table=TRANSITIONS,
        audit_model=PeriodTransition,
        actor_id=actor_id,
        at=now,
        message=_refused,
    )
    row.closed_at = now
    row.closed_by_id = actor_id
    session.flush()
    return CloseResult(period, int(written.rowcount or 0), already_closed=False)  # type: ignore[attr-defined]


def close_period(
    session: Session, period: str, *, actor_id: int | None, now: datetime
) -> CloseResult:
    """Close `period` ("2026-10") for every creator, and every earlier open month with
    activity before it. Raises PeriodError (a user message) for a month not over by `now`."""
    if not ledger.is_period(period):
        raise PeriodError(_("Give the month as YYYY-MM, for example 2026-10."))
    if ledger.period_bounds(period)[1] > now:
        raise PeriodError(_("%(period)s has not ended yet.", period=period))
    for month in _open_months_before(session, period):
        _close_one(session, month, actor_id, now)
    return _close_one(session, period, actor_id, now)
