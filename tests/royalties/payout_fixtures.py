"""Ledger history for the payout tests, written with `ledger.post` as the royalty services
write it: accruals that cleared (with their order line), awards, adjustments, reversals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.royalties import ledger
from cocreate.royalties.ledger import Leg
from cocreate.royalties.models import Account, Kind, LedgerTransaction
from cocreate.shop.models import OrderLine

PENDING, CLEARED = Account.CREATOR_PENDING, Account.CREATOR_CLEARED
EXPENSE = Account.ROYALTY_EXPENSE


def cleared(
    session: Session, creator: User, amount: int, at: datetime, line: OrderLine | None = None
) -> LedgerTransaction:
    """An accrual of `amount` for `line` (units: its quantity), then its clearing."""
    source = {}
    if line is not None:
        source = {"order_line_id": line.id, "design_id": line.design_id, "units": line.quantity}
    accrual = ledger.post(
        session,
        kind=Kind.ACCRUAL,
        creator_id=creator.id,
        currency="EUR",
        legs=[Leg(PENDING, amount), Leg(EXPENSE, -amount)],
        at=at,
        **source,
    )
    return ledger.post(
        session,
        kind=Kind.CLEARING,
        creator_id=creator.id,
        currency="EUR",
        legs=[Leg(PENDING, -amount), Leg(CLEARED, amount)],
        at=at,
        related_id=accrual.id,
    )


def award(
    session: Session, creator: User, amount: int, at: datetime, design_id: int | None = None
) -> LedgerTransaction:
    return ledger.post(
        session,
        kind=Kind.AWARD,
        creator_id=creator.id,
        currency="EUR",
        legs=[Leg(CLEARED, amount), Leg(EXPENSE, -amount)],
        at=at,
        design_id=design_id,
    )


def adjust(
    session: Session, creator: User, amount: int, at: datetime, actor: User, reason: str
) -> LedgerTransaction:
    return ledger.post(
        session,
        kind=Kind.ADJUSTMENT,
        creator_id=creator.id,
        currency="EUR",
        legs=[Leg(CLEARED, amount), Leg(EXPENSE, -amount)],
        at=at,
        actor_id=actor.id,
        memo=reason,
    )


def reversed_from_cleared(
    session: Session, creator: User, amount: int, at: datetime, line: OrderLine
) -> LedgerTransaction:
    """Units refunded after their earnings cleared: taken back from the cleared balance."""
    return ledger.post(
        session,
        kind=Kind.REVERSAL,
        creator_id=creator.id,
        currency="EUR",
        legs=[Leg(CLEARED, -amount), Leg(EXPENSE, amount)],
        at=at,
        order_line_id=line.id,
        design_id=line.design_id,
        units=1,
    )
