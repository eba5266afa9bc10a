"""What the payments domain tells the shop: a checkout was paid, failed or expired, a refund
went through. Payments calls these from verified gateway events (Stripe webhooks, the demo
page, `reconcile-stripe`), in its own transaction.

Each one locks the order's row first (SELECT … FOR UPDATE, then reads it again), so two
deliveries of one event, or an event racing `flask shop release-expired`, apply once: the
second finds the work done and changes nothing. A replayed or duplicated event is a no-op.

A payment that arrives after its checkout expired (its stock was given back) is honoured when
it can be: the stock is reserved again and the order is paid. When the stock has sold
meanwhile, the payment is refunded automatically through the outbox (kind "shop.refund") and
the buyer gets the refund email once the gateway confirms it; the order stays cancelled until
then, and is marked refunded after. A second payment of an order already paid, and a payment
of another amount than the order's total, are refunded the same way: the shop never keeps
money it sold nothing for.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from cocreate.core.money import Money
from cocreate.shop import emails, lifecycle, orders, refunds, reservations, signals
from cocreate.shop.models import Order, OrderState, Refund, RefundCause, RefundState

logger = logging.getLogger(__name__)

#: Audit reasons of the system's moves (shown to staff in the order's history).
PAYMENT_FAILED = "payment failed"
PAID_LATE = "paid after the checkout expired; stock reserved again"


def _locked(session: Session, stmt: Select[Order]) -> Order | None:
    return session.scalars(stmt.with_for_update().execution_options(populate_existing=True)).first()


def lock_statement(order_id: int) -> Select[Order]:
    return (
        select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def lock(session: Session, order: Order) -> None:
    """Lock the order's row and read it again (its refunds too): what another transaction
    committed counts."""
    session.scalars(lock_statement(order.id)).one()


def order_for_checkout(session: Session, reference: str) -> Order | None:
    """The order of the gateway's checkout `reference`, locked; None if unknown."""
    return _locked(session, select(Order).where(Order.checkout_reference == reference))


def order_by_number(session: Session, number: str) -> Order | None:
    """The order with this public number, locked; None if unknown."""
    return _locked(session, select(Order).where(Order.number == number))


def order_for_payment(session: Session, payment_reference: str) -> Order | None:
    """The order a payment paid (or a second payment of it being refunded), locked."""
    refunded_payment = select(Refund.order_id).where(Refund.payment_reference == payment_reference)
    return _locked(
        session,
        select(Order).where(
            or_(Order.payment_reference == payment_reference, Order.id.in_(refunded_payment))
        ),
    )


def _already_seen(order: Order, payment_reference: str) -> bool:
    return order.payment_reference == payment_reference or any(
        r.payment_reference == payment_reference for r in order.refunds
    )


def payment_succeeded(
    session: Session, order: Order, *, payment_reference: str, amount: Money, at: datetime
) -> None:
    """The gateway captured `amount` for the order: mark it paid (and send the confirmation),
    or refund the payment automatically when the order cannot take it (see the module)."""
    lock(session, order)
    if _already_seen(order, payment_reference):
        return
    if order.payment_reference is not None:
        logger.warning("order %s paid twice; refunding %s", order.number, payment_reference)
        refunds.refund_automatically(
            session, order, payment_reference, amount, RefundCause.DUPLICATE_PAYMENT, at=at
        )
        return
    if amount != order.total:
        logger.error(
            "order %s: payment %s of %s, expected %s; refunding it",
            order.number,
            payment_reference,
            amount,
            order.total,
        )
        refunds.refund_automatically(
            session, order, payment_reference, amount, RefundCause.AMOUNT_MISMATCH, at=at
        )
        return
    order.payment_reference = payment_reference
    if order.state is OrderState.CANCELLED:
        try:
            reservations.reserve_again(session, order)
        except reservations.SoldOut:
            refunds.refund_automatically(
                session, order, payment_reference, amount, RefundCause.LATE_PAYMENT, at=at
            )
            return
        lifecycle.mark_paid(session, order, at=at, reason=PAID_LATE)
    else:
        lifecycle.mark_paid(session, order, at=at)
    emails.send_confirmation(order)


def payment_failed(session: Session, order: Order, *, at: datetime) -> None:
    """The payment was declined or abandoned: cancel the order and give its stock back. An
    order already paid, cancelled or refunded is left as it is."""
    lock(session, order)
    reservations.cancel_and_release(session, order, at=at, reason=PAYMENT_FAILED)


def checkout_expired(session: Session, order: Order, *, at: datetime) -> None:
    """The gateway's checkout expired unpaid: cancel the order and give its stock back."""
    lock(session, order)
    reservations.cancel_and_release(session, order, at=at, reason=reservations.EXPIRED)


def refund_confirmed(
    session: Session, order: Order, *, refund_reference: str, amount: Money, at: datetime
) -> None:
    """The gateway confirmed refund `refund_reference` of `amount`: record it done, put its
    units back on sale if staff chose so, move the order to refunded or partially refunded,
    and tell the buyer. Idempotent by reference.

    The refund is found by its gateway reference, or else (its webhook came before the
    outbox stored the reference) as the order's oldest pending refund of that amount; a
    refund made at the provider directly is recorded as such."""
    lock(session, order)
    refund = session.scalar(select(Refund).where(Refund.gateway_reference == refund_reference))
    if refund is None:
        refund = _pending_match(order, amount)
    if refund is None:
        refund = Refund(
            order_id=order.id,
            cause=RefundCause.PROVIDER,
            amount=amount,
            payment_reference=order.payment_reference or "",
            created_at=at,
        )
        order.refunds.append(refund)
    if refund.order_id != order.id:
        logger.error("refund %s belongs to another order than %s", refund_reference, order.number)
        return
    if refund.state is RefundState.DONE:
        return
    refund.gateway_reference = refund_reference
    refund.state = RefundState.DONE
    refund.done_at = at
    session.flush()
    # Here, past the DONE check under the order's lock: the units go back once per refund.
    # Before the state's move and its royalty reversal: the order's row, then the variants',
    # then the ledger's, the order a late payment takes them in when it reserves stock again.
    refunds.restock(session, order, refund, at=at)
    _refunded_state(session, order, at)
    signals.refund_done.send(Order, session=session, order=order, refund=refund, at=at)
    emails.send_refunded(order, refund)


def _pending_match(order: Order, amount: Money) -> Refund | None:
    for refund in order.refunds:
        pending = refund.state is RefundState.PENDING and refund.gateway_reference is None
        if pending and refund.amount == amount:
            return refund
    return None


def _refunded_state(session: Session, order: Order, at: datetime) -> None:
    """Refunded once everything the order's payment paid is back, else partially refunded.
    Refunds of another payment (a duplicate) leave the order's state alone."""
    back = orders.refunded(order)
    if order.payment_reference is None or back.is_zero():
        return
    lifecycle.mark_refunded(session, order, fully=back >= order.total, at=at)
