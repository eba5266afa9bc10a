"""Earnings clear: an accrual stays pending until the return window after its order shipped
has passed (ROYALTY_RETURN_DAYS), then what is left of it (the accrual less its reversals so
far) moves from the creator's pending to their cleared earnings, which can be paid out.

Run by `flask royalties clear-earnings` (cron, daily or more often). The accruals due are
chosen in SQL and streamed in batches by id, never all loaded at once; the unique index on
(clearing, related accrual) makes an accrual clear at most once, whatever runs at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from cocreate.config import Config
from cocreate.royalties import ledger
from cocreate.royalties.ledger import Leg
from cocreate.royalties.models import ENTRY, Account, Kind, LedgerEntry, LedgerTransaction
from cocreate.shop.models import Order, OrderLine

#: Accruals cleared per query.
BATCH = 500


def _due(
    now: datetime, settings: Config, after: int, ids: Sequence[int] | None = None
) -> Select[Any]:
    """(accrual id, creator, currency, pending left) of the next batch of accruals due (of
    `ids` only, when given)."""
    accrual = aliased(LedgerTransaction)
    source = aliased(LedgerTransaction)
    cutoff = now - timedelta(days=settings.ROYALTY_RETURN_DAYS)
    # What is left pending of the accrual: its own pending leg and its reversals' pending legs.
    left = (
        select(func.coalesce(func.sum(ENTRY.amount_amount), 0))
        .select_from(LedgerEntry)
        .join(source, source.id == LedgerEntry.transaction_id)
        .where(
            LedgerEntry.account == Account.CREATOR_PENDING,
            or_(
                source.id == accrual.id,
                and_(source.related_id == accrual.id, source.kind == Kind.REVERSAL),
            ),
        )
        .scalar_subquery()
    )
    cleared = exists().where(
        LedgerTransaction.kind == Kind.CLEARING, LedgerTransaction.related_id == accrual.id
    )
    return (
        select(accrual.id, accrual.creator_id, accrual.currency, left)
        .join(OrderLine, OrderLine.id == accrual.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            accrual.kind == Kind.ACCRUAL,
            accrual.id > after,
            Order.fulfilled_at.is_not(None),
            Order.fulfilled_at <= cutoff,
            ~cleared,
            left > 0,
            *([accrual.id.in_(ids)] if ids is not None else []),
        )
        .order_by(accrual.id)
        .limit(BATCH)
    )


def clear_due(session: Session, *, now: datetime, settings: Config) -> int:
    """Clear every accrual whose order shipped ROYALTY_RETURN_DAYS ago or more (to the
    second: exactly at that instant it clears). Returns the number cleared."""
    count, after = 0, 0
    while True:
        candidates = session.execute(_due(now, settings, after)).all()
        if not candidates:
            return count
        ids = [row[0] for row in candidates]
        # Lock the batch's accruals (in id order, as a refund's reversal does) and read what is
        # left of them again: a refund committed meanwhile has reversed part of it.
        session.execute(
            select(LedgerTransaction.id)
            .where(LedgerTransaction.id.in_(ids))
            .order_by(LedgerTransaction.id)
            .with_for_update()
        )
        rows = session.execute(_due(now, settings, 0, ids)).all()
        for accrual_id, creator_id, currency, left in rows:
            ledger.post(
                session,
                kind=Kind.CLEARING,
                creator_id=creator_id,
                currency=currency,
                legs=[
                    Leg(Account.CREATOR_PENDING, -int(left)),
                    Leg(Account.CREATOR_CLEARED, int(left)),
                ],
                at=now,
                related_id=accrual_id,
            )
        count += len(rows)
        if len(candidates) < BATCH:
            return count
        after = ids[-1]
