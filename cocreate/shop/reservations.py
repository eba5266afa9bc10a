"""Stock reservation: taken atomically when a checkout starts, given back exactly once when the
payment fails, is abandoned or the checkout expires (DESIGN.md "Shop and payments").

Reserving locks the variants' rows in one fixed order, by id, whatever order the cart lists
them in: two carts holding the same two variants in opposite orders queue up instead of
deadlocking (django-oscar #4594). Each variant is then taken with a conditional UPDATE
(`stock_on_hand = stock_on_hand - q WHERE stock_on_hand >= q`), so the stock is checked and
taken in one step at the moment the order is placed, never from what a cart page showed
earlier (oscar #4524), and never goes below zero.

Releasing adds the quantities back under the order's row lock, guarded by the order's
`stock_released` flag, so a failed-payment event, the expiry command and a replayed webhook
running at once give the stock back once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from cocreate.core import jobs, outbox
from cocreate.designs.models import Design
from cocreate.production.models import Variant
from cocreate.shop import lifecycle
from cocreate.shop.items import item_name
from cocreate.shop.models import Order, OrderLine, OrderState

#: Audit reasons of the system's cancellations (shown to staff in the order's history).
EXPIRED = "checkout expired"
#: The outbox kind asking the gateway to close an expired order's checkout (cancel_sender.py).
CANCEL_KIND = "shop.cancel_checkout"


class SoldOut(Exception):
    """A variant has less stock than asked; `str()` names the item for the buyer."""

    def __init__(self, message: str, *, variant_id: int, available: int) -> None:
        super().__init__(message)
        self.variant_id = variant_id
        self.available = available


def quantities(lines: Iterable[OrderLine]) -> dict[int, int]:
    """Units per variant (an order may list one variant on two lines)."""
    wanted: dict[int, int] = {}
    for line in lines:
        wanted[line.variant_id] = wanted.get(line.variant_id, 0) + line.quantity
    return wanted


def lock_statement(variant_ids: Iterable[int]) -> Select[Variant, str]:
    """SELECT the variants (with their design's title) ORDER BY id FOR UPDATE OF variants:
    PostgreSQL locks the rows in the order it reads them, so by id."""
    return (
        select(Variant, Design.title)
        .join(Design)  # on variants.design_id, the one foreign key between them
        .where(Variant.id.in_(sorted(set(variant_ids))))
        .order_by(Variant.id)
        .with_for_update(of=Variant)
        .execution_options(populate_existing=True)
    )


def lock_variants(session: Session, variant_ids: Iterable[int]) -> dict[int, tuple[Variant, str]]:
    """Lock the variants' rows in id order and read them (a missing id is absent)."""
    rows = session.execute(lock_statement(variant_ids)).all()
    return {row[0].id: (row[0], row[1]) for row in rows}


def _sold_out(variant: Variant, title: str, available: int) -> SoldOut:
    name = item_name(title, variant.product, variant.colour, variant.size)
    if available == 0:
        message = _("Sorry, %(item)s is sold out.", item=name)
    else:
        message = ngettext(
            "Sorry, only %(num)d of %(item)s is left.",
            "Sorry, only %(num)d of %(item)s are left.",
            available,
            item=name,
        )
    return SoldOut(message, variant_id=variant.id, available=available)


def reserve(session: Session, wanted: Mapping[int, int]) -> None:
    """Take `wanted` (variant id → units) from stock, all or nothing.

    Raises SoldOut naming the first item (by id) short of stock (or gone), with nothing
    taken: the reservation runs in a savepoint that is rolled back.
    """
    with session.begin_nested():
        locked = lock_variants(session, wanted)
        for variant_id in sorted(wanted):
            if variant_id not in locked:
                raise SoldOut(
                    _("An item in your cart is no longer sold: please remove it from your cart."),
                    variant_id=variant_id,
                    available=0,
                )
            quantity = wanted[variant_id]
            taken = session.execute(
                update(Variant)
                .where(Variant.id == variant_id, Variant.stock_on_hand >= quantity)
                .values(stock_on_hand=Variant.stock_on_hand - quantity)
            )
            variant, title = locked[variant_id]
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                # The row is locked: what it holds now is what there is.
                raise _sold_out(variant, title, variant.stock_on_hand)


def put_back(session: Session, units: Mapping[int, int]) -> list[int]:
    """Add `units` (variant id → units) to the variants' stock, each in one `stock_on_hand =
    stock_on_hand + q` UPDATE: the addition happens in the database, so a checkout taking from
    the same row, or another refund putting back, meanwhile is never lost. Returns the variants
    it added to, by id (a variant deleted since is skipped: its units have nowhere to go).
    Doing it once is the caller's job."""
    added = []
    for variant_id in sorted(units):  # the same order as reserving: no deadlock between them
        result = session.execute(
            update(Variant)
            .where(Variant.id == variant_id)
            .values(stock_on_hand=Variant.stock_on_hand + units[variant_id])
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            added.append(variant_id)
    return added


def release(session: Session, order: Order) -> bool:
    """Give the order's stock back, once. The caller holds the order's row lock (and has just
    moved it out of pending payment). False when it was already given back."""
    if order.stock_released:
        return False
    put_back(session, quantities(order.lines))
    order.stock_released = True
    session.flush()
    return True


def reserve_again(session: Session, order: Order) -> None:
    """Take the stock of an order whose reservation was released (a payment that came after
    its checkout expired). Raises SoldOut, with nothing taken, if it is gone."""
    reserve(session, quantities(order.lines))
    order.stock_released = False
    session.flush()


def expires_at(now: datetime, minutes: int) -> datetime:
    return now + timedelta(minutes=minutes)


def is_expired(order: Order, now: datetime) -> bool:
    """A pending checkout ends at its `expires_at` instant exactly."""
    return order.state is OrderState.PENDING_PAYMENT and now >= order.expires_at


def cancel_and_release(session: Session, order: Order, *, at: datetime, reason: str) -> bool:
    """Pending payment → cancelled, and the stock back. The caller holds the order's lock;
    False (nothing done) when the order is not pending any more."""
    if order.state is not OrderState.PENDING_PAYMENT:
        return False
    lifecycle.cancel(session, order, at=at, reason=reason)
    release(session, order)
    return True


def expired_order_ids(session: Session, now: datetime) -> list[int]:
    """Pending orders whose checkout has ended, oldest first (read without locks)."""
    return list(
        session.scalars(
            select(Order.id)
            .where(Order.state == OrderState.PENDING_PAYMENT, Order.expires_at <= now)
            .order_by(Order.id)
        )
    )


def expiry_lock_statement(order_id: int) -> Select[Order]:
    """The order's row, locked unless another transaction holds it (then no row)."""
    return (
        select(Order)
        .where(Order.id == order_id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )


def expire_one(session: Session, order_id: int, *, now: datetime) -> bool:
    """Cancel one expired order and release its stock, in the caller's transaction.

    The row is locked with SKIP LOCKED: when another `release-expired` run (or a payment event)
    holds it, this run skips it rather than wait, and the other one decides. Under the lock
    the state and expiry are read again: an order paid meanwhile is left alone. The gateway's
    checkout is then closed by a job. True when this call released it."""
    order = session.scalars(expiry_lock_statement(order_id)).first()
    if order is None or not is_expired(order, now):
        return False
    cancel_and_release(session, order, at=now, reason=EXPIRED)
    if order.checkout_reference:
        # The gateway's checkout may outlive the reservation (Stripe's last at least 30
        # minutes): closed after this commits, so no payment for stock given back slips in.
        payload = {"order_id": order.id, "reference": order.checkout_reference}
        jobs.deliver_after_commit([outbox.add(session, CANCEL_KIND, payload, now=now).id])
    return True
