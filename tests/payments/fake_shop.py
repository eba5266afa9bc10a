"""A stand-in for cocreate/shop/payment_events.py (SHOP.md §3) while the shop's orders are
built elsewhere: in-memory orders that move as the contract says, and a log of every call.

Tests assert on `calls` (every call, no-ops included), so they see what payments asked of the
shop: a replayed webhook must add no call at all, whatever the shop would do with one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cocreate.core.lifecycle import InvalidTransition
from cocreate.core.money import Money

PENDING = "pending_payment"


@dataclass
class FakeOrder:
    number: str
    checkout_reference: str
    total: Money
    state: str = PENDING
    payment_reference: str | None = None
    refunds: dict[str, Money] = field(default_factory=dict)


@dataclass
class FakeShop:
    orders: list[FakeOrder] = field(default_factory=list)
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    #: Set to make the next shop call raise it (a genuine failure, or a refusal).
    fail_with: Exception | None = None
    #: A payment after expiry: re-reserve (True) or leave cancelled for an automatic refund.
    reserve_late_payments: bool = True

    def add(self, number: str, reference: str, total: int = 4980) -> FakeOrder:
        order = FakeOrder(number, reference, Money(total, "EUR"))
        self.orders.append(order)
        return order

    def _failing(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with

    def order_for_checkout(self, session: Session, reference: str) -> FakeOrder | None:
        assert isinstance(session, Session)
        assert isinstance(reference, str)
        return next((o for o in self.orders if o.checkout_reference == reference), None)

    def order_by_number(self, session: Session, number: str) -> FakeOrder | None:
        assert isinstance(session, Session)
        assert isinstance(number, str)
        return next((o for o in self.orders if o.number == number), None)

    def payment_succeeded(
        self,
        session: Session,
        order: FakeOrder,
        *,
        payment_reference: str,
        amount: Money,
        at: datetime,
    ) -> None:
        assert isinstance(session, Session)  # the order is locked in the caller's transaction
        self.calls.append(("paid", order.number, payment_reference, amount, at))
        self._failing()
        if order.payment_reference == payment_reference or order.state not in (
            PENDING,
            "cancelled",
        ):
            return
        if order.state == "cancelled" and not self.reserve_late_payments:
            return  # refunded automatically: the order stays cancelled, unpaid
        # Also after expiry: this stand-in re-reserves (the shop decides for real).
        order.state, order.payment_reference = "paid", payment_reference

    def payment_failed(self, session: Session, order: FakeOrder, *, at: datetime) -> None:
        assert isinstance(session, Session)  # the order is locked in the caller's transaction
        self.calls.append(("failed", order.number, at))
        self._failing()
        if order.state == PENDING:
            order.state = "cancelled"

    def checkout_expired(self, session: Session, order: FakeOrder, *, at: datetime) -> None:
        assert isinstance(session, Session)  # the order is locked in the caller's transaction
        self.calls.append(("expired", order.number, at))
        self._failing()
        if order.state == PENDING:
            order.state = "cancelled"

    def refund_confirmed(
        self,
        session: Session,
        order: FakeOrder,
        *,
        refund_reference: str,
        amount: Money,
        at: datetime,
    ) -> None:
        assert isinstance(session, Session)  # the order is locked in the caller's transaction
        self.calls.append(("refunded", order.number, refund_reference, amount, at))
        self._failing()
        if order.state == PENDING:
            raise InvalidTransition("an unpaid order cannot be refunded")
        if refund_reference not in order.refunds:
            order.refunds[refund_reference] = amount
            refunded = Money.sum(order.refunds.values(), "EUR")
            order.state = "refunded" if refunded == order.total else "partially_refunded"
