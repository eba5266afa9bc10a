"""The outbox sender of kind "shop.cancel_checkout": closes an expired order's checkout at the
gateway, so that nobody pays for stock that went back on sale.

It runs after `flask shop release-expired` committed the order's cancellation, outside any
transaction. Closing a checkout that is already closed or paid is harmless (the gateway says
so, and a payment that won the race takes the shop's paid-after-expiry path); a failure
raises, and the outbox retries with backoff.
"""

from __future__ import annotations

from flask import Flask

from cocreate.core import db, jobs, outbox
from cocreate.shop.gateway import gateway
from cocreate.shop.reservations import CANCEL_KIND


def make_sender(app: Flask) -> outbox.Sender:
    def cancel_checkout(message: outbox.OutboxMessage) -> None:
        # In a transaction of its own: the demo gateway records the cancellation in the database.
        with app.app_context(), db.transaction():
            gateway().cancel_checkout(str(message.payload["reference"]))

    return cancel_checkout


def init_app(app: Flask) -> None:
    jobs.register_sender(app, CANCEL_KIND, make_sender(app))
