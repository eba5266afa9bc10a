"""Helpers of the royalty tests: designs on sale, orders paid, shipped and refunded through the
shop's own services (so the signals royalties listens to fire as in production)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import Config, settings
from cocreate.core.clock import TestClock
from cocreate.core.money import Money
from cocreate.designs.models import Design, DesignState
from cocreate.production.models import Variant
from cocreate.royalties import clearing, ledger, periods
from cocreate.royalties.ledger import Leg
from cocreate.royalties.models import Account, Kind, LedgerTransaction
from cocreate.shop import desk, lifecycle, payment_events
from cocreate.shop.models import Order, Refund
from tests.accounts.factories import StaffFactory
from tests.conftest import Auth
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


@pytest.fixture
def staff_client(client: FlaskClient, auth: Auth, db_session: Session, shop: Shop) -> FlaskClient:
    """A staff member signed in. After `shop`'s request context: the requests share its app
    context (and login)."""
    StaffFactory(email="staff@example.test")
    auth.login("staff@example.test")
    return client


@pytest.fixture
def config(app: Flask) -> Config:
    """The settings with Stripe on (no call is made: transfers wait in the outbox)."""
    return replace(settings(app), PAYMENT_GATEWAY="stripe")


@pytest.fixture
def staff(db_session: Session) -> User:
    return StaffFactory(display_name="Stan Staff")


@pytest.fixture
def history(shop: Shop, db_session: Session, app: Flask) -> int:
    """A sale of 3 (6.25), shipped, 1 unit refunded, cleared, 2.00 paid out, March closed."""
    design = shop.design()
    order = shop.sell((shop.variant(design), 3))
    shop.ship(order)
    (line,) = order.lines
    shop.refund(order, {line.id: 1})
    shop.clock.advance(timedelta(days=30))
    clearing.clear_due(db_session, now=shop.clock.now(), settings=settings(app))
    payout_sent(db_session, design.designer_id, 200, at=shop.clock.now())
    periods.close_period(db_session, "2026-03", actor_id=None, now=datetime(2026, 4, 1, tzinfo=UTC))
    return design.designer_id


def only_accrual(session: Session) -> LedgerTransaction:
    return session.scalars(
        select(LedgerTransaction).where(LedgerTransaction.kind == Kind.ACCRUAL)
    ).one()


def insert_unbalanced(session: Session, creator: int) -> int:
    tid = session.execute(
        text(
            "INSERT INTO ledger_transactions (kind, creator_id, period, occurred_at, currency,"
            " memo) VALUES ('adjustment', :c, '2026-04', '2026-04-02 00:00:00', 'EUR', '')"
            " RETURNING id"
        ),
        {"c": creator},
    ).scalar_one()
    for account, amount in (("creator_cleared", 101), ("royalty_expense", -100)):
        session.execute(
            text(
                "INSERT INTO ledger_entries (transaction_id, account, creator_id, period,"
                " amount_amount, amount_currency) VALUES (:t, :a, :c, '2026-04', :m, 'EUR')"
            ),
            {"t": tid, "a": account, "c": creator, "m": amount},
        )
    return int(tid)


def payout_sent(
    session: Session, creator_id: int, cents: int, *, at: datetime
) -> LedgerTransaction:
    """The ledger's side of a payout sent, with no `Payout` row: `cents` from cleared earnings
    into transit (statement_factories.pay_out records a whole manual payout)."""
    legs = [Leg(Account.CREATOR_CLEARED, -cents), Leg(Account.PAYOUTS_IN_TRANSIT, cents)]
    return ledger.post(
        session, kind=Kind.PAYOUT, creator_id=creator_id, currency="EUR", legs=legs, at=at
    )
