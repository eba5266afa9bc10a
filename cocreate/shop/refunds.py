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
"""

from __future__ import annotations

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
from cocreate.shop.items import item_name
from cocreate.shop.models import (
    Order,
    OrderLine,
    OrderState,
    Refund,
    RefundCause,
    RefundLine,
)

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


def request_refund(
    session: Session, order: Order, actor: User, plan: RefundPlan, *, reason: str, at: datetime
) -> Refund:
    """Record the staff refund pending and queue it for the gateway. The caller holds the
    order's lock (and planned under it)."""
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
    """Give back a payment the order cannot keep (late, duplicate or of the wrong amount)."""
    refund = Refund(
        order_id=order.id,
        cause=cause,
        amount=amount,
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
