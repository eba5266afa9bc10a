"""The outbox sender of kind "shop.refund": asks the gateway for a pending refund.

It runs after the refund's transaction committed (core/jobs.py), in its own transactions, and
holds no lock while the gateway answers. A failure raises, and the outbox retries with backoff;
the idempotency key (made from the refund's id) makes the gateway refund once however often it
is asked.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from cocreate.core import db, jobs, outbox
from cocreate.core.clock import clock
from cocreate.shop import payment_events
from cocreate.shop.gateway import gateway
from cocreate.shop.models import Order, Refund, RefundState
from cocreate.shop.refunds import KIND


def idempotency_key(refund_id: int) -> str:
    return f"cocreate-refund-{refund_id}"


def send(refund_id: int) -> None:
    """Ask the gateway for refund `refund_id` and record its answer: its reference, and the
    refund done when the gateway settled it at once (the demo). Stripe confirms by webhook."""
    with db.transaction() as session:
        refund = session.get_one(Refund, refund_id)
        if refund.state is RefundState.DONE:
            return  # confirmed meanwhile (a webhook, or an earlier attempt)
        payment_reference, amount = refund.payment_reference, refund.amount
    started = gateway().refund(
        payment_reference=payment_reference,
        amount=amount,
        idempotency_key=idempotency_key(refund_id),
    )
    with db.transaction() as session:
        refund = session.get_one(Refund, refund_id)
        order = session.get_one(Order, refund.order_id)
        payment_events.lock(session, order)
        session.refresh(refund)
        taken = session.scalar(
            select(Refund.id).where(Refund.gateway_reference == started.reference)
        )
        if refund.gateway_reference is None and taken is None:
            # Unless its webhook came first and already recorded it.
            refund.gateway_reference = started.reference
            session.flush()
        if started.confirmed:
            payment_events.refund_confirmed(
                session,
                order,
                refund_reference=started.reference,
                amount=amount,
                at=clock().now(),
            )


def make_sender(app: Flask) -> outbox.Sender:
    def send_refund(message: outbox.OutboxMessage) -> None:
        # Its own app context, so its transactions are its own, never the delivery loop's.
        with app.app_context():
            send(int(message.payload["refund_id"]))

    return send_refund


def init_app(app: Flask) -> None:
    jobs.register_sender(app, KIND, make_sender(app))
