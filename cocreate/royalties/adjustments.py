"""Staff adjustments: a correction of a creator's cleared earnings, with a reason, audited.

An adjustment is a ledger transaction like any other (creator_cleared ±A against royalty
expense), carrying who made it (`actor_id`) and why (`memo`): the ledger itself is the audit
trail, and nothing is ever edited.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core.lifecycle import NotAllowed
from cocreate.core.money import Money
from cocreate.royalties import ledger
from cocreate.royalties.ledger import Leg
from cocreate.royalties.models import Account, Kind, LedgerTransaction

#: The longest reason kept.
MAX_REASON = 2000


class AdjustmentError(ValueError):
    """An adjustment that cannot be made; `str()` is a message for staff."""


def adjust(
    session: Session,
    *,
    creator_id: int,
    amount: Money,
    reason: str,
    actor: User,
    at: datetime,
    design_id: int | None = None,
) -> LedgerTransaction:
    """Add `amount` (negative to take back) to the creator's cleared earnings. Staff only
    (NotAllowed otherwise); a reason is required and the amount cannot be zero
    (AdjustmentError, with a message)."""
    if not actor.is_staff:
        raise NotAllowed
    reason = reason.strip()
    if not reason:
        raise AdjustmentError(_("Please say why you adjust these earnings."))
    if len(reason) > MAX_REASON:
        raise AdjustmentError(
            _("Please keep the reason to %(max)d characters at most.", max=MAX_REASON)
        )
    if amount.is_zero():
        raise AdjustmentError(_("An adjustment cannot be zero."))
    if session.get(User, creator_id) is None:
        raise AdjustmentError(_("There is no member with that email or id."))
    return ledger.post(
        session,
        kind=Kind.ADJUSTMENT,
        creator_id=creator_id,
        currency=amount.currency,
        legs=[
            Leg(Account.CREATOR_CLEARED, amount.amount),
            Leg(Account.ROYALTY_EXPENSE, -amount.amount),
        ],
        at=at,
        actor_id=actor.id,
        memo=reason,
        design_id=design_id,
    )
