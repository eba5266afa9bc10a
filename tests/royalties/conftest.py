"""Helpers of the royalty tests: designs on sale, orders paid, shipped and refunded through the
shop's own services (so the signals royalties listens to fire as in production)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core.clock import TestClock
from cocreate.core.money import Money
from cocreate.designs.models import Design, DesignState
from cocreate.production.models import Variant
from cocreate.shop import desk, lifecycle, payment_events
from cocreate.shop.models import Order, Refund
from tests.accounts.factories import StaffFactory
from tests.designs.factories import DesignFactory
from tests.shop.checkout_factories import VariantFactory, place

_sizes = itertools.count()


def eur(cents: int) -> Money:
    return Money(cents, "EUR")


@dataclass
class Shop:
    """Sells, ships and refunds at the test clock's time."""

    app: Flask
    session: Session
    clock: TestClock
    staff: User
    refunds: int = 0

    def design(self, title: str = "Tide", designer: User | None = None) -> Design:
        extra = {"designer": designer} if designer is not None else {}
        return DesignFactory(title=title, state=DesignState.ON_SALE, **extra)

    def variant(self, design: Design, price: int = 2500) -> Variant:
        size = f"S{next(_sizes)}"
        return VariantFactory(design=design, price=eur(price), stock_on_hand=100_000, size=size)

    def sell(self, *lines: tuple[Variant, int], at: datetime | None = None) -> Order:
        """Place and pay an order (shipped to France: 20 % VAT) of `lines`."""
        order = place(self.session, settings(self.app), list(lines), now=at or self.clock.now())
        payment_events.payment_succeeded(
            self.session,
            order,
            payment_reference=f"pi_{order.id}",
            amount=order.total,
            at=at or self.clock.now(),
        )
        return order

    def ship(self, order: Order) -> None:
        lifecycle.fulfil(
            self.session, order, self.staff, at=self.clock.now(), tracking_number="TRK1"
        )

    def refund(self, order: Order, units: dict[int, int] | None = None) -> Refund:
        """Refund `units` (order line id → units), or everything left; confirmed at once."""
        refund = desk.refund(
            self.session,
            order,
            self.staff,
            quantities=units or {},
            whole=units is None,
            reason="damaged",
            at=self.clock.now(),
        )
        self.refunds += 1
        payment_events.refund_confirmed(
            self.session,
            order,
            refund_reference=f"re_{self.refunds}",
            amount=refund.amount,
            at=self.clock.now(),
        )
        return refund


@pytest.fixture
def shop(app: Flask, db_session: Session, clock: TestClock, request_ctx: None) -> Shop:
    return Shop(app, db_session, clock, StaffFactory(display_name="Stan Staff"))
