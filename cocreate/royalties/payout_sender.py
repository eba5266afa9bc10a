"""The outbox sender of kind "royalties.transfer": a Stripe transfer for a payout.

It runs after the batch's transaction committed (core/jobs.py), in its own transactions, and
holds no lock while Stripe answers. The Idempotency-Key "payout-<id>" makes Stripe transfer
once however often it is asked (a retry after a crash, the library's own network retries).

Stripe refusing the transfer (an invalid request, such as a destination account that cannot
receive transfers, or a card error) is final: the payout is marked FAILED with Stripe's message
for staff, and its amount goes back to the creator's cleared balance. Anything else (the
network, Stripe being down) raises, and the outbox retries with backoff.
"""

from __future__ import annotations

import stripe
from flask import Flask

from cocreate.core import db, jobs, outbox
from cocreate.core.clock import clock
from cocreate.royalties import connect, payouts
from cocreate.royalties.models import Payout, PayoutAccount, PayoutState


def idempotency_key(payout_id: int) -> str:
    return f"payout-{payout_id}"


def send(payout_id: int, stripe_client: stripe.StripeClient) -> None:
    """Ask Stripe for payout `payout_id`'s transfer and record how it went."""
    with db.transaction() as session:
        payout = session.get_one(Payout, payout_id)
        if payout.state is not PayoutState.SENT:
            return  # settled meanwhile (an earlier attempt)
        destination = session.get_one(PayoutAccount, payout.creator_id).stripe_account_id
        amount = payout.amount
    try:
        transfer = stripe_client.v1.transfers.create(
            params={
                "amount": amount.amount,
                "currency": amount.currency.lower(),
                "destination": destination or "",
                "metadata": {"payout_id": str(payout_id)},
            },
            options={"idempotency_key": idempotency_key(payout_id)},
        )
    except (stripe.InvalidRequestError, stripe.CardError) as error:
        message = error.user_message or str(error)
        with db.transaction() as session:
            payout = session.get_one(Payout, payout_id)
            if payout.state is PayoutState.SENT:
                payouts.transfer_failed(session, payout, message, clock().now())
        return
    with db.transaction() as session:
        payout = session.get_one(Payout, payout_id)
        if payout.state is PayoutState.SENT:
            payouts.transfer_succeeded(session, payout, transfer.id, clock().now())


def make_sender(app: Flask) -> outbox.Sender:
    def send_transfer(message: outbox.OutboxMessage) -> None:
        # Its own app context, so its transactions are its own, never the delivery loop's.
        with app.app_context():
            stripe_client = connect.client(app)
            if stripe_client is None:
                raise LookupError("a Stripe transfer is queued but PAYMENT_GATEWAY is not stripe")
            send(int(message.payload["payout_id"]), stripe_client)

    return send_transfer


def init_app(app: Flask) -> None:
    jobs.register_sender(app, payouts.TRANSFER_KIND, make_sender(app))
