"""The Stripe gateway against servers on 127.0.0.1: the fake for Checkout Sessions (localstripe
has none), localstripe for a refund on a real PaymentIntent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import stripe
from flask import Flask
from flask_babel import force_locale

from cocreate.core.clock import TestClock
from cocreate.core.money import Money
from cocreate.payments.stripe_gateway import StripeGateway, checkout_locale, make_client
from cocreate.shop import gateway
from cocreate.shop.gateway import CheckoutLine, CheckoutRequest, RefundStarted
from tests.conftest import TEST_START
from tests.payments.conftest import STRIPE
from tests.payments.fake_stripe import FakeStripe

T = int(TEST_START.timestamp())


@pytest.fixture
def app_overrides(stripe_fake: FakeStripe) -> dict[str, Any]:
    return {**STRIPE, "STRIPE_API_BASE": stripe_fake.url}


@pytest.fixture
def stripe_gateway(app: Flask, clock: TestClock, fake: FakeStripe) -> Iterator[StripeGateway]:
    with app.test_request_context():
        found = gateway.gateway()
        assert isinstance(found, StripeGateway)
        yield found


def checkout_request(
    *, minutes: int = 45, shipping: int = 490, locale: str = "en", number: str = "CC-1001"
) -> CheckoutRequest:
    return CheckoutRequest(
        order_number=number,
        lines=(
            CheckoutLine("Midnight Tide, tee, black, M", Money(2500, "EUR"), 1),
            CheckoutLine("Midnight Tide, poster, A3", Money(1490, "EUR"), 2),
        ),
        shipping=Money(shipping, "EUR"),
        customer_email="buyer@example.test",
        success_url="http://localhost/orders/CC-1001",
        cancel_url="http://localhost/checkout",
        expires_at=TEST_START + timedelta(minutes=minutes),
        locale=locale,
    )


def sent(fake: FakeStripe, path: str) -> dict[str, str]:
    (seen,) = [r for r in fake.requests if r.path == path]
    return dict(seen.form.items())


def test_the_checkout_session_carries_server_prices_in_minor_units(
    stripe_gateway: StripeGateway, fake: FakeStripe
) -> None:
    started = stripe_gateway.start_checkout(checkout_request())
    assert started.reference.startswith("cs_test_")
    assert started.redirect_url == f"https://checkout.stripe.test/c/pay/{started.reference}"
    assert sent(fake, "/v1/checkout/sessions") == {
        "mode": "payment",
        "line_items[0][price_data][currency]": "eur",
        "line_items[0][price_data][unit_amount]": "2500",
        "line_items[0][price_data][product_data][name]": "Midnight Tide, tee, black, M",
        "line_items[0][quantity]": "1",
        "line_items[1][price_data][currency]": "eur",
        "line_items[1][price_data][unit_amount]": "1490",
        "line_items[1][price_data][product_data][name]": "Midnight Tide, poster, A3",
        "line_items[1][quantity]": "2",
        "shipping_options[0][shipping_rate_data][type]": "fixed_amount",
        "shipping_options[0][shipping_rate_data][display_name]": "Shipping",
        "shipping_options[0][shipping_rate_data][fixed_amount][amount]": "490",
        "shipping_options[0][shipping_rate_data][fixed_amount][currency]": "eur",
        "client_reference_id": "CC-1001",
        "metadata[order_number]": "CC-1001",
        "payment_intent_data[metadata][order_number]": "CC-1001",
        "customer_email": "buyer@example.test",
        "success_url": "http://localhost/orders/CC-1001",
        "cancel_url": "http://localhost/checkout",
        "expires_at": str(T + 45 * 60),
        "locale": "en",
    }
    # What Stripe will charge: 25.00 + 2 × 14.90 + 4.90 shipping.
    assert fake.sessions[started.reference]["amount_total"] == 5970


def test_the_request_is_authenticated_and_idempotent_by_order_number(
    stripe_gateway: StripeGateway, fake: FakeStripe
) -> None:
    first = stripe_gateway.start_checkout(checkout_request())
    again = stripe_gateway.start_checkout(checkout_request())
    assert again.reference == first.reference
    assert len(fake.sessions) == 1
    for seen in fake.requests:
        assert seen.headers["Authorization"] == "Bearer sk_test_payments"
        assert seen.headers["Idempotency-Key"] == "CC-1001"


def test_a_checkout_ending_within_thirty_minutes_is_given_stripes_minimum(
    stripe_gateway: StripeGateway, fake: FakeStripe
) -> None:
    # Stripe refuses a session that expires sooner than 30 minutes after it is created.
    stripe_gateway.start_checkout(checkout_request(minutes=30))
    assert sent(fake, "/v1/checkout/sessions")["expires_at"] == str(T + 31 * 60)


def test_the_minimum_counts_from_the_clock(
    stripe_gateway: StripeGateway, fake: FakeStripe, clock: TestClock
) -> None:
    clock.advance(timedelta(minutes=10))
    fake.now += 600
    stripe_gateway.start_checkout(checkout_request(minutes=35))
    assert sent(fake, "/v1/checkout/sessions")["expires_at"] == str(T + 41 * 60)


def test_a_checkout_ending_after_thirty_one_minutes_keeps_its_end(
    stripe_gateway: StripeGateway, fake: FakeStripe
) -> None:
    stripe_gateway.start_checkout(checkout_request(minutes=32))
    assert sent(fake, "/v1/checkout/sessions")["expires_at"] == str(T + 32 * 60)


def test_free_shipping_adds_no_shipping_option(
    stripe_gateway: StripeGateway, fake: FakeStripe
) -> None:
    started = stripe_gateway.start_checkout(checkout_request(shipping=0))
    assert not any(k.startswith("shipping_options") for k in sent(fake, "/v1/checkout/sessions"))
    assert fake.sessions[started.reference]["amount_total"] == 5480


def test_the_buyers_language_reaches_stripe(
    stripe_gateway: StripeGateway, fake: FakeStripe
) -> None:
    with force_locale("en"):
        stripe_gateway.start_checkout(checkout_request(locale="fr"))
    form = sent(fake, "/v1/checkout/sessions")
    assert form["locale"] == "fr"
    assert form["shipping_options[0][shipping_rate_data][display_name]"] == "Livraison"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fr", "fr"), ("fr_FR", "fr"), ("pt-BR", "pt"), ("EN", "en"), ("eo", "auto"), ("", "auto")],
)
def test_checkout_locale(locale: str, expected: str) -> None:
    assert checkout_locale(locale) == expected


def test_stripe_refusing_a_session_is_an_error_for_the_shop(
    stripe_gateway: StripeGateway, fake: FakeStripe
) -> None:
    fake.now -= 3 * 24 * 3600  # Stripe's clock days behind ours: expires_at is too far away
    with pytest.raises(stripe.InvalidRequestError):
        stripe_gateway.start_checkout(checkout_request())


def test_cancelling_expires_an_open_session(
    stripe_gateway: StripeGateway, fake: FakeStripe
) -> None:
    started = stripe_gateway.start_checkout(checkout_request())
    stripe_gateway.cancel_checkout(started.reference)
    assert fake.sessions[started.reference]["status"] == "expired"
    expire = f"/v1/checkout/sessions/{started.reference}/expire"
    assert [r.method for r in fake.requests if r.path == expire] == ["POST"]


def test_cancelling_a_completed_expired_or_unknown_session_is_quiet(
    stripe_gateway: StripeGateway, fake: FakeStripe
) -> None:
    started = stripe_gateway.start_checkout(checkout_request())
    fake.complete(started.reference)
    stripe_gateway.cancel_checkout(started.reference)  # paid meanwhile: its webhook tells
    assert fake.sessions[started.reference]["status"] == "complete"
    other = stripe_gateway.start_checkout(checkout_request(number="CC-1002"))
    stripe_gateway.cancel_checkout(other.reference)
    stripe_gateway.cancel_checkout(other.reference)
    stripe_gateway.cancel_checkout("cs_test_unknown")
    assert fake.sessions[other.reference]["status"] == "expired"


def test_cancelling_when_stripe_is_unreachable_raises(clock: TestClock) -> None:
    # The shop's job retries it; a silent failure would leave the session payable.
    client = stripe.StripeClient(
        "sk_test_x", base_addresses={"api": "http://127.0.0.1:9"}, max_network_retries=0
    )
    with pytest.raises(stripe.APIConnectionError):
        StripeGateway(client, now=lambda: TEST_START).cancel_checkout("cs_test_1")


def test_a_refund_is_asked_on_the_payment_intent_and_confirmed_later(
    stripe_gateway: StripeGateway, fake: FakeStripe
) -> None:
    started = stripe_gateway.start_checkout(checkout_request())
    intent = fake.complete(started.reference)["payment_intent"]
    result = stripe_gateway.refund(
        payment_reference=intent, amount=Money(1490, "EUR"), idempotency_key="refund-7"
    )
    assert result.reference.startswith("re_")
    assert result == RefundStarted(reference=result.reference, confirmed=False)
    assert sent(fake, "/v1/refunds") == {"payment_intent": intent, "amount": "1490"}
    (seen,) = [r for r in fake.requests if r.path == "/v1/refunds"]
    assert seen.headers["Idempotency-Key"] == "refund-7"
    again = stripe_gateway.refund(
        payment_reference=intent, amount=Money(1490, "EUR"), idempotency_key="refund-7"
    )
    assert again.reference == result.reference
    assert len(fake.refunds) == 1


def test_a_refund_on_localstripe(localstripe: tuple[str, Path]) -> None:
    url, folder = localstripe
    client = make_client("sk_test_localstripe", url)
    intent = client.v1.payment_intents.create(
        params={
            "amount": 5970,
            "currency": "eur",
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    assert intent.status == "succeeded"
    result = StripeGateway(client, now=lambda: TEST_START).refund(
        payment_reference=intent.id, amount=Money(1490, "EUR"), idempotency_key="refund-8"
    )
    assert result.confirmed is False
    refund = client.v1.refunds.retrieve(result.reference)
    assert (refund.amount, refund.currency, refund.payment_intent, refund.status) == (
        1490,
        "eur",
        intent.id,
        "succeeded",
    )
    # Its state lives in the test's folder, not in /tmp/localstripe.pickle.
    assert (folder / "localstripe.pickle").is_file()


def test_the_stripe_setting_registers_the_stripe_gateway(app: Flask) -> None:
    with app.app_context():
        assert gateway.gateway().name == "stripe"
