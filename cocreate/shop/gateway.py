"""The payment gateway as the shop sees it: an interface, implemented by the payments domain.

The shop sits below payments (payments marks the shop's orders paid), so it cannot import an
implementation: `cocreate.payments` registers one at start-up with `register(app, gateway)`, and
the shop asks for it with `gateway()`. Two implementations: "demo" (the default; no money moves)
and "stripe" (Stripe Checkout, confirmed by verified webhooks).

Amounts cross this boundary as core Money (integer minor units); conversion to a provider's own
representation happens inside the implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flask import Flask, current_app

from cocreate.core.money import Money

EXTENSION = "cocreate.payment_gateway"


@dataclass(frozen=True)
class CheckoutLine:
    #: What the buyer reads on the payment page ("Midnight Tide, tee, black, M").
    name: str
    #: Tax-included unit price, computed on the server.
    unit_price: Money
    quantity: int


@dataclass(frozen=True)
class CheckoutRequest:
    #: The order's public number: also the provider's idempotency key and client reference.
    order_number: str
    lines: tuple[CheckoutLine, ...]
    shipping: Money
    customer_email: str
    #: Where the provider sends the buyer back.
    success_url: str
    cancel_url: str
    #: When the checkout stops accepting payment (the order's reservation ends then too).
    expires_at: datetime
    locale: str


@dataclass(frozen=True)
class CheckoutStarted:
    #: The provider's id of this checkout (a Stripe Checkout Session id, or the demo's own).
    reference: str
    #: Where to send the buyer to pay.
    redirect_url: str


@dataclass(frozen=True)
class RefundStarted:
    #: The provider's refund id.
    reference: str
    #: True when the provider settled it at once (the demo gateway): the shop records it done
    #: now. False (Stripe): it is recorded done when the provider's webhook confirms it.
    confirmed: bool = False


class PaymentGateway(Protocol):
    #: "demo" or "stripe".
    name: str

    def start_checkout(self, request: CheckoutRequest) -> CheckoutStarted:
        """Create the provider's checkout for an order already reserved and flushed."""
        ...

    def refund(
        self, *, payment_reference: str, amount: Money, idempotency_key: str
    ) -> RefundStarted:
        """Ask the provider to refund `amount` of a captured payment."""
        ...

    def cancel_checkout(self, reference: str) -> None:
        """Stop a checkout from accepting payment (the order expired or was cancelled)."""
        ...


def register(app: Flask, gateway: PaymentGateway) -> None:
    app.extensions[EXTENSION] = gateway


def gateway() -> PaymentGateway:
    found: PaymentGateway = current_app.extensions[EXTENSION]
    return found
