"""The Stripe gateway: Stripe Checkout (hosted) for payments, the Refunds API for refunds.

Starting a checkout creates a Checkout Session whose line items carry the server's prices in
minor units; nothing the buyer's browser sent reaches Stripe. An order is marked paid only by
a verified webhook (webhooks.py), never by the buyer coming back to the success page.

In the stripe library (16), API objects are not dicts: fields are attributes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import stripe
from flask_babel import force_locale
from flask_babel import gettext as _

from cocreate.core.money import Money
from cocreate.shop.gateway import CheckoutRequest, CheckoutStarted, RefundStarted

log = logging.getLogger(__name__)

#: Stripe refuses a Checkout Session that expires sooner than 30 minutes after its creation.
#: A session created a little after the order's reservation started is given at least this
#: long; the shop expires it itself (cancel_checkout) when the reservation ends, and a payment
#: that still slips in goes through the shop's paid-after-expiry path.
MIN_SESSION = timedelta(minutes=31)

#: Languages Stripe Checkout speaks (its `locale` values, base languages only); others: "auto".
CHECKOUT_LOCALES = frozenset(
    {"bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fil", "fr", "hr", "hu", "id", "it",
     "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "ro", "ru", "sk", "sl", "sv",
     "th", "tr", "vi", "zh"}
)  # fmt: skip


def make_client(secret_key: str, api_base: str = "") -> stripe.StripeClient:
    """A client for Stripe's API, or for the server at `api_base` (a fake, in tests)."""
    # Retries reuse the request's idempotency key, so a retried create or refund is one.
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=2,
    )


def checkout_locale(locale: str) -> str:
    language = locale.replace("-", "_").split("_")[0].lower()
    return language if language in CHECKOUT_LOCALES else "auto"


def _price(money: Money) -> dict[str, Any]:
    return {"currency": money.currency.lower(), "unit_amount": money.amount}


def session_params(request: CheckoutRequest, *, now: datetime) -> dict[str, Any]:
    """The Checkout Session for `request`: amounts in minor units, as Stripe expects."""
    line_items = [
        {
            "price_data": {**_price(line.unit_price), "product_data": {"name": line.name}},
            "quantity": line.quantity,
        }
        for line in request.lines
    ]
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": line_items,
        "client_reference_id": request.order_number,
        "metadata": {"order_number": request.order_number},
        "payment_intent_data": {"metadata": {"order_number": request.order_number}},
        "customer_email": request.customer_email,
        "success_url": request.success_url,
        "cancel_url": request.cancel_url,
        "expires_at": int(max(request.expires_at, now + MIN_SESSION).timestamp()),
        "locale": checkout_locale(request.locale),
    }
    if not request.shipping.is_zero():
        with force_locale(request.locale):
            label = _("Shipping")
        params["shipping_options"] = [
            {
                "shipping_rate_data": {
                    "type": "fixed_amount",
                    "display_name": label,
                    "fixed_amount": {
                        "amount": request.shipping.amount,
                        "currency": request.shipping.currency.lower(),
                    },
                }
            }
        ]
    return params


class StripeGateway:
    name = "stripe"

    def __init__(self, client: stripe.StripeClient, now: Callable[[], datetime]) -> None:
        self._client = client
        self._now = now

    def start_checkout(self, request: CheckoutRequest) -> CheckoutStarted:
        created = self._client.v1.checkout.sessions.create(
            params=session_params(request, now=self._now()),  # type: ignore[arg-type]
            # The order number: a retried start returns the session already made for it.
            options={"idempotency_key": request.order_number},
        )
        if not created.url:
            raise stripe.APIError(f"Checkout Session {created.id} came back without a url")
        return CheckoutStarted(reference=created.id, redirect_url=created.url)

    def refund(
        self, *, payment_reference: str, amount: Money, idempotency_key: str
    ) -> RefundStarted:
        refund = self._client.v1.refunds.create(
            params={"payment_intent": payment_reference, "amount": amount.amount},
            options={"idempotency_key": idempotency_key},
        )
        # Recorded done when Stripe's refund webhook confirms it.
        return RefundStarted(reference=refund.id, confirmed=False)

    def cancel_checkout(self, reference: str) -> None:
        try:
            self._client.v1.checkout.sessions.expire(reference)
        except stripe.InvalidRequestError as exc:
            # Already expired or complete (paid meanwhile: its webhook tells the shop).
            log.info("Checkout Session %s not expired: %s", reference, exc.user_message)
