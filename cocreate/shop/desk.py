"""The staff order desk: finding orders, shipping them with a tracking number, refunding all or
part of one. Every change locks the order's row first and re-reads it, so two staff members
acting on one order at once are applied one after the other, the second against the first's
result (a second full refund finds nothing left)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core.inputs import single_line
from cocreate.shop import emails, lifecycle, payment_events, refunds
from cocreate.shop.models import Order, OrderState, OrderTransition, Refund

#: Orders one search lists.
PAGE_SIZE = 50
MAX_TRACKING = 100


def search(
    session: Session, *, text: str = "", state: OrderState | None = None, limit: int = PAGE_SIZE
) -> list[Order]:
    """Newest first; `text` matches the number (any part, any case) or the buyer's email."""
    query = select(Order).order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)
    text = text.strip()
    if text:
        # LIKE wildcards typed by staff are taken literally.
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped.lower()}%"
        query = query.where(
            or_(
                func.lower(Order.number).like(pattern, escape="\\"),
                func.lower(Order.email).like(pattern, escape="\\"),
            )
        )
    if state is not None:
        query = query.where(Order.state == state)
    return list(session.scalars(query))


def history(session: Session, order: Order) -> list[OrderTransition]:
    return list(
        session.scalars(
            select(OrderTransition)
            .where(OrderTransition.order_id == order.id)
            .order_by(OrderTransition.created_at, OrderTransition.id)
        )
    )


def staff_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


def fulfil(
    session: Session, order: Order, actor: User, *, tracking_number: str, at: datetime
) -> None:
    """Ship the order with the carrier's tracking number, and tell the buyer."""
    tracking_number = single_line(tracking_number)
    if not tracking_number:
        raise lifecycle.InvalidTransition(_("Please enter the tracking number."))
    if len(tracking_number) > MAX_TRACKING:
        raise lifecycle.InvalidTransition(
            _("Please keep the tracking number to %(max)d characters.", max=MAX_TRACKING)
        )
    payment_events.lock(session, order)
    lifecycle.fulfil(session, order, actor, at=at, tracking_number=tracking_number)
    emails.send_shipped(order)


def refund(
    session: Session,
    order: Order,
    actor: User,
    *,
    quantities: Mapping[int, int],
    whole: bool,
    reason: str,
    at: datetime,
    restock: bool = False,
) -> Refund:
    """Plan the refund under the order's lock (so what is left is what is left now), record
    it pending and queue it for the gateway; `restock` puts its units back on sale once the
    gateway confirms it. Raises refunds.RefundError with a message."""
    payment_events.lock(session, order)
    plan = refunds.plan_refund(order, quantities, whole=whole)
    return refunds.request_refund(
        session, order, actor, plan, reason=reason, at=at, restock=restock
    )
