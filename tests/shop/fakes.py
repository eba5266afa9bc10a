"""A payment gateway for the shop's tests: records what it was asked, answers as told."""

from __future__ import annotations

from dataclasses import dataclass, field

from cocreate.core.money import Money
from cocreate.shop.gateway import CheckoutRequest, CheckoutStarted, RefundStarted


@dataclass
class Refunded:
    payment_reference: str
    amount: Money
    idempotency_key: str


@dataclass
class FakeGateway:
    """Checkouts get references "cs_1", "cs_2" …, refunds "re_1" …. `fail_checkout` or
    `fail_refund` makes the next calls raise; `confirm_refunds` says whether a refund is settled
    at once (the demo) or later by webhook (Stripe)."""

    name: str = "fake"
    checkouts: list[CheckoutRequest] = field(default_factory=list)
    refunds: list[Refunded] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    fail_checkout: Exception | None = None
    fail_refund: Exception | None = None
    confirm_refunds: bool = True

    def start_checkout(self, request: CheckoutRequest) -> CheckoutStarted:
        if self.fail_checkout is not None:
            raise self.fail_checkout
        self.checkouts.append(request)
        reference = f"cs_{len(self.checkouts)}"
        return CheckoutStarted(reference, f"https://pay.example.test/{reference}")

    def refund(
        self, *, payment_reference: str, amount: Money, idempotency_key: str
    ) -> RefundStarted:
        if self.fail_refund is not None:
            raise self.fail_refund
        self.refunds.append(Refunded(payment_reference, amount, idempotency_key))
        return RefundStarted(f"re_{len(self.refunds)}", confirmed=self.confirm_refunds)

    def cancel_checkout(self, reference: str) -> None:
        self.cancelled.append(reference)
