"""Refunds: what staff may give back (whole order or units per line, computed on the server),
recording it pending, and sending it to the gateway through the durable outbox.

A refund is a pending Refund row plus an outbox message of kind "shop.refund" written in the
same transaction: the gateway is asked only once the refund is committed, and again after a
crash (the idempotency key, made from the refund's id, makes a repeat harmless). The gateway
confirms it at once (demo) or later by webhook (Stripe); either way `payment_events.
refund_confirmed` records it done.

Amounts: a line gives back its tax-included unit price × units. Shipping goes back only with
a refund of everything that is left (the "whole order" refund): refunding some units of a
line keeps the shipping, which was spent. Each refunded part of a line also carries its net
and tax, cut from the line's own net so that all the line's refunds add up to it exactly.

Stock: staff choose per refund whether its units go back on sale (`Refund.restock`; the form
ticks it while the order has not shipped: the units are still on the shelf). They are added
to the variants' stock when the refund is done, not when it is asked for: units and money go
back together, so a refund the gateway refuses (it stays pending while the outbox retries)
puts nothing on sale that the order still counts as sold and may still ship. Done happens
once per refund, under the order's lock (`payment_events.refund_confirmed`): a webhook and
the sender both confirming it, or a retried delivery, restock once. An automatic refund gives
back a payment, never units taken for it, and restocks nothing: a late payment's stock was
released at expiry and could not be taken again (that is why it is refunded); a duplicate
payment's order keeps the units its first payment bought; a payment of the wrong amount
leaves its order pending, whose reservation is released by the expiry as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core import jobs, outbox
from cocreate.core.lifecycle import NotAllowed
from cocreate.core.money import Money, round_minor
from cocreate.production import reprints
from cocreate.shop import reservations
from cocreate.shop.items import item_name
from cocreate.shop.models import (
    Order,
    OrderLine,
    OrderState,
    Refund,
    RefundCause,
    RefundLine,
)

logger = logging.getLogger(__name__)

KIND = "shop.refund"
MAX_REASON = 1000
#: Orders whose payment staff can give back (part of).
REFUNDABLE = frozenset({OrderState.PAID, OrderState.FULFILLED, OrderState.PARTIALLY_REFUNDED})


def cause_label(cause: RefundCause) -> str:
    """Why the shop refunded by itself (staff refunds carry their own reason)."""
    labels = {
        RefundCause.STAFF: _("asked by staff"),
        RefundCause.LATE_PAYMENT: _(
            "the payment arrived after the checkout expired, and the items had sold meanwhile"
        ),
        RefundCause.DUPLICATE_PAYMENT: _("the order had already been paid"),
        RefundCause.AMOUNT_MISMATCH: _("the amount paid did not match the order's total"),
        RefundCause.PROVIDER: _("refunded at the payment service"),
    }
    return labels[cause]


class RefundError(Exception):
    """The refund asked for is not possible; `str()` is a message for staff."""


@dataclass(frozen=True)
class PlannedLine:
    line: OrderLine
    quantity: int
    amount: Money
    net: Money
    tax: Money


@dataclass(frozen=True)
class RefundPlan:
    lines: tuple[PlannedLine, ...]
    includes_shipping: bool
    amount: Money


def refunded_units(order: Order, line: OrderLine) -> int:
    """Units of the line already given back or being given back (pending counts: staff must
    not refund twice while the gateway is answering)."""
    return sum(
        part.quantity
        for refund in order.refunds
        for part in refund.lines
        if part.order_line_id == line.id
    )


def remaining_units(order: Order, line: OrderLine) -> int:
    return line.quantity - refunded_units(order, line)


def shipping_refunded(order: Order) -> bool:
    return any(refund.includes_shipping for refund in order.refunds)


def _net_of_units(line: OrderLine, units: int) -> Money:
    """The net of the line's first `units` units: its net shared out evenly and rounded once,
    so the net of all its units is the line's net exactly."""
    exact = Fraction(line.net.amount * units, line.quantity)
    return Money(round_minor(exact), line.net.currency)


def _planned(order: Order, line: OrderLine, units: int) -> PlannedLine:
    before = refunded_units(order, line)
    net = _net_of_units(line, before + units) - _net_of_units(line, before)
    amount = line.unit_price * units
    return PlannedLine(line, units, amount, net, amount - net)


def plan_refund(order: Order, quantities: Mapping[int, int], *, whole: bool) -> RefundPlan:
    """What a refund gives back: everything left (`whole`: every unit left and the shipping)
    or `quantities` (order line id → units). Raises RefundError with a message."""
    if order.state not in REFUNDABLE:
        raise RefundError(_("Only a paid order can be refunded."))
    planned: list[PlannedLine] = []
    for line in order.lines:
        left = remaining_units(order, line)
        units = left if whole else quantities.get(line.id, 0)
        if units < 0:
            raise RefundError(_("Quantities to refund cannot be negative."))
        if units > left:
            name = item_name(line.title, line.product, line.colour, line.size)
            raise RefundError(
                ngettext(
                    "Only %(num)d unit of %(item)s can still be refunded.",
                    "Only %(num)d units of %(item)s can still be refunded.",
                    left,
                    item=name,
                )
            )
        if units:
            planned.append(_planned(order, line, units))
    shipping = whole and not shipping_refunded(order) and not order.shipping.is_zero()
    amount = Money.sum((p.amount for p in planned), order.currency)
    if shipping:
        amount += order.shipping
    if amount.is_zero():
        raise RefundError(
            _("Nothing is left to refund.") if whole else _("Choose at least one unit to refund.")
        )
    return RefundPlan(tuple(planned), shipping, amount)


def restock_by_default(order: Order) -> bool:
    """What the refund form proposes: units of an order not shipped yet are on the shelf, so
    they go back on sale; once shipped, they are with the buyer, and staff tick it only for
    units that came back in a state to sell again."""
    return order.fulfilled_at is None


def stock_taken(order: Order) -> bool:
    """Whether the order's units were taken from stock and still count as sold: reserved at
    checkout (or again, for a late payment) and not released since. Only those can go back."""
    return not order.stock_released


def request_refund(
    session: Session,
    order: Order,
    actor: User,
    plan: RefundPlan,
    *,
    reason: str,
    at: datetime,
    restock: bool = False,
) -> Refund:
    """Record the staff refund pending and queue it for the gateway; `restock` puts its units
    back on sale once it is done. The caller holds the order's lock (and planned under it)."""
    if not actor.is_staff:
        raise NotAllowed
    reason = reason.strip()
    if not reason:
        raise RefundError(_("Please say why this order is refunded."))
    if len(reason) > MAX_REASON:
        raise RefundError(
            _("Please keep the reason to %(max)d characters at most.", max=MAX_REASON)
        )
    refund = Refund(
        order_id=order.id,
        cause=RefundCause.STAFF,
        amount=plan.amount,
        includes_shipping=plan.includes_shipping,
        # Only units taken for the order go back (a refund of the shipping alone has none).
        restock=restock and bool(plan.lines) and stock_taken(order),
        payment_reference=order.payment_reference or "",
        reason=reason,
        requested_by_id=actor.id,
        created_at=at,
        lines=[
            RefundLine(
                order_line_id=p.line.id, quantity=p.quantity, amount=p.amount, net=p.net, tax=p.tax
            )
            for p in plan.lines
        ],
    )
    order.refunds.append(refund)
    session.flush()
    _enqueue(session, refund, at)
    return refund


def refund_automatically(
    session: Session,
    order: Order,
    payment_reference: str,
    amount: Money,
    cause: RefundCause,
    *,
    at: datetime,
) -> Refund:
    """Give back a payment the order cannot keep (late, duplicate or of the wrong amount). It
    returns nothing to stock: no units were taken for that payment (see the module)."""
    refund = Refund(
        order_id=order.id,
        cause=cause,
        amount=amount,
        restock=False,
        payment_reference=payment_reference,
        created_at=at,
    )
    order.refunds.append(refund)
    session.flush()
    _enqueue(session, refund, at)
    return refund


def _enqueue(session: Session, refund: Refund, at: datetime) -> None:
    message = outbox.add(session, KIND, {"refund_id": refund.id}, now=at)
    jobs.deliver_after_commit([message.id])


def units_to_restock(order: Order, refund: Refund) -> dict[int, int]:
    """Variant id → units the refund puts back on sale: its lines' units if staff chose so (an
    order may list one variant on two lines)."""
    if not refund.restock:
        return {}
    variant_of = {line.id: line.variant_id for line in order.lines}
    units: dict[int, int] = {}
    for part in refund.lines:
        variant_id = variant_of[part.order_line_id]
        units[variant_id] = units.get(variant_id, 0) + part.quantity
    return units


def restock(session: Session, order: Order, refund: Refund, *, at: datetime) -> list[int]:
    """Put the refund's units back on sale if staff chose so, as stock arriving does: members
    waiting for a reprint of those sizes are told (production's reprint requests). Returns the
    variants restocked. Called by `payment_events.refund_confirmed` as the refund turns done,
    under the order's lock: once per refund."""
    units = units_to_restock(order, refund)
    added = reservations.put_back(session, units)
    if len(added) < len(units):
        logger.warning(
            "refund %s: variants %s no longer exist; their units were not restocked",
            refund.id,
            sorted(set(units) - set(added)),
        )
    reprints.back_on_sale(session, added, at=at)
    return added
