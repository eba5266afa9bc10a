"""Ledger history for the payout tests, written with `ledger.post` as the royalty services
write it: accruals that cleared (with their order line), awards, adjustments, reversals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core.money import Money
from cocreate.royalties import ledger
from cocreate.royalties.ledger import Leg
from cocreate.royalties.models import Account, Kind, LedgerTransaction, PayoutAccount
from cocreate.shop.models import OrderLine

PENDING, CLEARED = Account.CREATOR_PENDING, Account.CREATOR_CLEARED
EXPENSE = Account.ROYALTY_EXPENSE


def _post(
    session: Session, kind: Kind, creator: User, legs: list[Leg], at: datetime, **source: Any
) -> LedgerTransaction:
    return ledger.post(
        session, kind=kind, creator_id=creator.id, currency="EUR", legs=legs, at=at, **source
    )


def cleared(
    session: Session, creator: User, amount: int, at: datetime, line: OrderLine | None = None
) -> LedgerTransaction:
    """An accrual of `amount` for `line` (units: its quantity), then its clearing."""
    source = {}
    if line is not None:
        source = {"order_line_id": line.id, "design_id": line.design_id, "units": line.quantity}
    accrual = _post(
        session, Kind.ACCRUAL, creator, [Leg(PENDING, amount), Leg(EXPENSE, -amount)], at, **source
    )
    legs = [Leg(PENDING, -amount), Leg(CLEARED, amount)]
    return _post(session, Kind.CLEARING, creator, legs, at, related_id=accrual.id)


def award(
    session: Session, creator: User, amount: int, at: datetime, design_id: int | None = None
) -> LedgerTransaction:
    legs = [Leg(CLEARED, amount), Leg(EXPENSE, -amount)]
    return _post(session, Kind.AWARD, creator, legs, at, design_id=design_id)


def adjust(
    session: Session, creator: User, amount: int, at: datetime, actor: User, reason: str
) -> LedgerTransaction:
    legs = [Leg(CLEARED, amount), Leg(EXPENSE, -amount)]
    return _post(session, Kind.ADJUSTMENT, creator, legs, at, actor_id=actor.id, memo=reason)


def reversed_from_cleared(
    session: Session, creator: User, amount: int, at: datetime, line: OrderLine
) -> LedgerTransaction:
    """Units refunded after their earnings cleared: taken back from the cleared balance."""
    legs = [Leg(CLEARED, -amount), Leg(EXPENSE, amount)]
    return _post(
        session,
        Kind.REVERSAL,
        creator,
        legs,
        at,
        order_line_id=line.id,
        design_id=line.design_id,
        units=1,
    )


def payout_account(
    session: Session, user: User, at: datetime, *, threshold: int = 2500, ready: bool = False
) -> None:
    """`user`'s payout settings: a threshold in cents, and a Stripe account ready or none."""
    session.add(
        PayoutAccount(
            user_id=user.id,
            threshold=Money(threshold, "EUR"),
            stripe_account_id=f"acct_{user.id}" if ready else None,
            stripe_ready=ready,
            updated_at=at,
        )
    )
    session.flush()
