"""The shop's side of a payment, as payments calls it (cocreate/shop/payment_events.py).

Each function locks the order row and is idempotent: a repeat is a no-op. Payments finds an
order through them and tells the shop what the provider said; the shop decides what that does
to the order (paid, cancelled and stock released, refunded).

`shop_events()` is the module itself unless a test installed a stand-in with
`use_shop_events`. The module is imported when first needed, not at start-up, so importing
payments never drags the shop's order code into a process that only verifies webhooks.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Protocol, cast

from flask import Flask, current_app
from sqlalchemy.orm import Session

from cocreate.core.money import Money

EXTENSION = "cocreate.payments.shop_events"
MODULE = "cocreate.shop.payment_events"
#: OrderState.PENDING_PAYMENT's value: the only state a checkout can still be paid, failed or
#: expired from, and the one a refund cannot apply to yet.
PENDING_PAYMENT = "pending_payment"


class PayableOrder(Protocol):
    @property
    def number(self) -> str: ...

    @property
    def state(self) -> str: ...

    @property
    def payment_reference(self) -> str | None: ...


class ShopEvents(Protocol):
    def order_for_checkout(self, session: Session, reference: str) -> PayableOrder | None: ...

    def order_by_number(self, session: Session, number: str) -> PayableOrder | None: ...

    def payment_succeeded(
        self,
        session: Session,
        order: PayableOrder,
        *,
        payment_reference: str,
        amount: Money,
        at: datetime,
    ) -> None: ...

    def payment_failed(self, session: Session, order: PayableOrder, *, at: datetime) -> None: ...

    def checkout_expired(self, session: Session, order: PayableOrder, *, at: datetime) -> None: ...

    def refund_confirmed(
        self,
        session: Session,
        order: PayableOrder,
        *,
        refund_reference: str,
        amount: Money,
        at: datetime,
    ) -> None: ...


def use_shop_events(app: Flask, events: ShopEvents) -> None:
    """Install a stand-in for the shop's payment events (tests)."""
    app.extensions[EXTENSION] = events


def shop_events() -> ShopEvents:
    installed = current_app.extensions.get(EXTENSION)
    if installed is not None:
        return cast(ShopEvents, installed)
    return cast(ShopEvents, importlib.import_module(MODULE))
