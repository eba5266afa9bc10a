"""An order's life: pending payment → paid → fulfilled, or cancelled, refunded, partially
refunded (DESIGN.md "Shop and payments").

Each move is one function through core's `transition()` (row lock, state re-read, table
check, audit row). Payment moves are the system's (actor None: the gateway said so); fulfilment
is staff's. Who asked for a refund is on the Refund row, the move records that it was confirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core.lifecycle import InvalidTransition, NotAllowed, TransitionTable, transition
from cocreate.shop.models import Order, OrderState, OrderTransition

__all__ = [
    "TRANSITIONS",
    "InvalidTransition",
    "NotAllowed",
    "OrderState",
    "cancel",
    "fulfil",
    "mark_paid",
    "mark_refunded",
    "state_label",
]

S = OrderState

#: from-state -> states it may move to.
TRANSITIONS: TransitionTable[OrderState] = TransitionTable(
    OrderState,
    {
        S.PENDING_PAYMENT: {S.PAID, S.CANCELLED},
        S.PAID: {S.FULFILLED, S.PARTIALLY_REFUNDED, S.REFUNDED},
        S.FULFILLED: {S.PARTIALLY_REFUNDED, S.REFUNDED},
        # Part refunded before shipping, the rest ships.
        S.PARTIALLY_REFUNDED: {S.FULFILLED, S.REFUNDED},
        # A payment that arrives after the checkout expired: paid if its stock could be
        # reserved again, else refunded automatically (see payment_events).
        S.CANCELLED: {S.PAID, S.REFUNDED},
        S.REFUNDED: set(),
    },
)


def state_label(state: OrderState) -> str:
    labels = {
        S.PENDING_PAYMENT: _("awaiting payment"),
        S.PAID: _("paid"),
        S.FULFILLED: _("shipped"),
        S.CANCELLED: _("cancelled"),
        S.REFUNDED: _("refunded"),
        S.PARTIALLY_REFUNDED: _("partially refunded"),
    }
    return labels[state]


def _refused(to: OrderState) -> Callable[[OrderState], str]:
    def message(current: OrderState) -> str:
        return _(
            "This order is %(state)s, so it cannot be marked “%(target)s”.",
            state=state_label(current),
            target=state_label(to),
        )

    return message


def _move(
    session: Session,
    order: Order,
    to: OrderState,
    *,
    at: datetime,
    actor_id: int | None = None,
    reason: str = "",
) -> OrderTransition:
    return transition(
        session,
        order,
        to,
        table=TRANSITIONS,
        audit_model=OrderTransition,
        actor_id=actor_id,
        at=at,
        message=_refused(to),
        reason=reason,
    )


def mark_paid(session: Session, order: Order, *, at: datetime, reason: str = "") -> OrderTransition:
    """Pending (or cancelled, for a late payment whose stock was reserved again) → paid."""
    row = _move(session, order, S.PAID, at=at, reason=reason)
    order.paid_at = at
    return row


def cancel(session: Session, order: Order, *, at: datetime, reason: str) -> OrderTransition:
    """Pending → cancelled: the payment failed, was abandoned or the checkout expired. The
    caller gives the stock back (reservations.release) in the same transaction."""
    return _move(session, order, S.CANCELLED, at=at, reason=reason)


def fulfil(
    session: Session, order: Order, actor: User, *, at: datetime, tracking_number: str
) -> OrderTransition:
    """Paid → shipped, with the carrier's tracking number. Staff only."""
    if not actor.is_staff:
        raise NotAllowed
    if order.fulfilled_at is not None:
        raise InvalidTransition(_("This order was already shipped."))
    row = _move(session, order, S.FULFILLED, at=at, actor_id=actor.id)
    order.fulfilled_at = at
    order.tracking_number = tracking_number
    return row


def mark_refunded(
    session: Session, order: Order, *, fully: bool, at: datetime, reason: str = ""
) -> OrderTransition | None:
    """→ refunded (`fully`) or partially refunded, once the gateway confirmed a refund. A second
    partial refund of a partially refunded order changes nothing: None."""
    to = S.REFUNDED if fully else S.PARTIALLY_REFUNDED
    if order.state is to:
        return None
    return _move(session, order, to, at=at, reason=reason)
