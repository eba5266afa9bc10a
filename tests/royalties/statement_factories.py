"""Ledger data for the read side's tests, written directly: real paid orders (shop factories),
then the accruals, reversals, awards, adjustments, clearings and payouts the write side would
post, and closed months as `RoyaltyPeriod` + `Statement` rows.

Every amount is hand-computed in the test that uses it; nothing here applies a rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core.lifecycle import transitioned
from cocreate.core.money import Money
from cocreate.designs.models import Design
from cocreate.production.models import Variant
from cocreate.royalties import ledger
from cocreate.royalties.ledger import Leg
from cocreate.royalties.models import (
    Account,
    AccrualPiece,
    Kind,
    LedgerTransaction,
    Payout,
    PayoutMethod,
    PayoutState,
    PeriodState,
    RoyaltyPeriod,
    Statement,
)
from cocreate.shop import payment_events
from cocreate.shop.models import Order, OrderLine
from tests.accounts.factories import StaffFactory, UserFactory
from tests.shop.catalog_factories import OnSaleDesignFactory, variant
from tests.shop.checkout_factories import place

PENDING = Account.CREATOR_PENDING
CLEARED = Account.CREATOR_CLEARED
EXPENSE = Account.ROYALTY_EXPENSE


def eur(cents: int) -> Money:
    return Money(cents, "EUR")


def on_sale(designer: User, title: str) -> Design:
    design: Design = OnSaleDesignFactory(designer=designer, title=title)
    return design


def paid_order(
    app: Flask,
    session: Session,
    design: Design,
    quantity: int,
    *,
    at: datetime,
    colour: str = "black",
    size: str = "M",
    price: int = 2500,
    reference: str,
) -> OrderLine:
    """A paid order of `quantity` tees (25.00 each by default) shipped to France (20 % VAT,
    4.90 shipping); returns its line. Needs a request context (the confirmation email)."""
    tee = session.scalars(
        select(Variant).where(
            Variant.design_id == design.id, Variant.colour == colour, Variant.size == size
        )
    ).first() or variant(design.id, "tee", colour, size, stock=50, price=price)
    order = place(session, settings(app), [(tee, quantity)], now=at)
    # Muted: these tests write the ledger themselves (`accrue` below, with the pieces they
    # need), so the payment must not accrue through the royalties' receiver as well.
    with transitioned.muted():
        payment_events.payment_succeeded(
            session, order, payment_reference=reference, amount=order.total, at=at
        )
    return order.lines[0]


def order_of(session: Session, line: OrderLine) -> Order:
    order = session.get(Order, line.order_id)
    assert order is not None
    return order


def piece(
    units: int,
    net: int,
    amount: int,
    *,
    tier: int = 1,
    first_unit: int = 1,
    rate: str | None = "0.10",
    per_unit: int | None = None,
    reverses: AccrualPiece | None = None,
) -> AccrualPiece:
    return AccrualPiece(
        tier=tier,
        first_unit=first_unit,
        units=units,
        rate=None if rate is None else Decimal(rate),
        per_unit_amount=per_unit,
        net_base=eur(net),
        amount=eur(amount),
        reverses_id=None if reverses is None else reverses.id,
    )


def accrue(
    session: Session, line: OrderLine, pieces: list[AccrualPiece], *, at: datetime
) -> LedgerTransaction:
    return _earning(
        session, Kind.ACCRUAL, line.designer_id, pieces, PENDING, at=at,
        order_line_id=line.id, design_id=line.design_id,
    )  # fmt: skip


def reverse(
    session: Session,
    accrual: LedgerTransaction,
    pieces: list[AccrualPiece],
    *,
    at: datetime,
    account: Account = PENDING,
) -> LedgerTransaction:
    """A reversal naming only the order line (as a whole-order refund at the provider may)."""
    return _earning(
        session, Kind.REVERSAL, accrual.creator_id, pieces, account, at=at,
        order_line_id=accrual.order_line_id, related_id=accrual.id,
    )  # fmt: skip


def _earning(
    session: Session,
    kind: Kind,
    creator_id: int,
    pieces: list[AccrualPiece],
    account: Account,
    *,
    at: datetime,
    **source: int | None,
) -> LedgerTransaction:
    total = sum(p.amount.amount for p in pieces)
    sign = -1 if kind == Kind.REVERSAL else 1
    return ledger.post(
        session,
        kind=kind,
        creator_id=creator_id,
        currency="EUR",
        legs=[Leg(account, sign * total), Leg(EXPENSE, -sign * total)],
        at=at,
        pieces=pieces,
        units=sum(p.units for p in pieces),
        **source,
    )


def award(
    session: Session, creator: User, design: Design, amount: int, *, at: datetime
) -> LedgerTransaction:
    return ledger.post(
        session,
        kind=Kind.AWARD,
        creator_id=creator.id,
        currency="EUR",
        legs=[Leg(CLEARED, amount), Leg(EXPENSE, -amount)],
        at=at,
        design_id=design.id,
        memo="approval award",
    )


def adjust(
    session: Session, creator: User, amount: int, reason: str, *, at: datetime, actor: User
) -> LedgerTransaction:
    return ledger.post(
        session,
        kind=Kind.ADJUSTMENT,
        creator_id=creator.id,
        currency="EUR",
        legs=[Leg(CLEARED, amount), Leg(EXPENSE, -amount)],
        at=at,
        actor_id=actor.id,
        memo=reason,
    )


def clear(
    session: Session, accrual: LedgerTransaction, amount: int, *, at: datetime
) -> LedgerTransaction:
    return ledger.post(
        session,
        kind=Kind.CLEARING,
        creator_id=accrual.creator_id,
        currency="EUR",
        legs=[Leg(PENDING, -amount), Leg(CLEARED, amount)],
        at=at,
        related_id=accrual.id,
    )


def pay_out(
    session: Session, creator: User, amount: int, reference: str, *, at: datetime
) -> LedgerTransaction:
    """A manual payout sent and arrived: two transactions, the second moving no creator money."""
    payout = Payout(
        creator_id=creator.id,
        batch="B1",
        amount=eur(amount),
        method=PayoutMethod.MANUAL,
        state=PayoutState.PAID,
        reference=reference,
        created_at=at,
    )
    session.add(payout)
    session.flush()
    sent = ledger.post(
        session,
        kind=Kind.PAYOUT,
        creator_id=creator.id,
        currency="EUR",
        legs=[Leg(CLEARED, -amount), Leg(Account.PAYOUTS_IN_TRANSIT, amount)],
        at=at,
        payout_id=payout.id,
    )
    ledger.post(
        session,
        kind=Kind.PAYOUT,
        creator_id=creator.id,
        currency="EUR",
        legs=[Leg(Account.PAYOUTS_IN_TRANSIT, -amount), Leg(Account.CASH, amount)],
        at=at,
        payout_id=payout.id,
    )
    return sent


def close_month(session: Session, period: str, at: datetime) -> None:
    if session.get(RoyaltyPeriod, period) is None:
        session.add(RoyaltyPeriod(period=period, state=PeriodState.CLOSED, closed_at=at))
        session.flush()


def closed_statement(
    session: Session,
    creator: User,
    period: str,
    *,
    opening: tuple[int, int] = (0, 0),
    closing: tuple[int, int],
    at: datetime,
    **movements: int,
) -> Statement:
    """A closed month's statement, as closing the period writes it (balances given literally)."""
    close_month(session, period, at)
    row = Statement(
        creator_id=creator.id,
        period=period,
        currency="EUR",
        opening_pending=opening[0],
        opening_cleared=opening[1],
        closing_pending=closing[0],
        closing_cleared=closing[1],
        created_at=at,
        **movements,
    )
    session.add(row)
    session.flush()
    return row


# -- one creator's March 2026, used by the statement, dashboard and page tests ------------------


def day(d: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, d, hour, tzinfo=UTC)


@dataclass
class March:
    """Zoë's March 2026 (hand-computed; every order ships to France, 20 % VAT):

    - 2 Mar, order A: 2 "Midnight Tide" tees, black M, at 25.00: net 50.00 / 1.2 = 41.67;
      tier 1 at 10 %: 4.17.
    - 3 Mar: award of 5.00 (cleared) for "Quiet Dunes".
    - 5 Mar, order B: 3 "Quiet Dunes" tees, white L, at 30.00: net 75.00, across the tier
      boundary (units 99–101): 2 units, net 50.00 at 10 % = 5.00; 1 unit, net 25.00 at 12 % = 3.00.
    - 10 Mar: 1 unit of order A refunded: net 20.83 at 10 % = −2.08.
    - 20 Mar: adjustment −1.50 "Duplicate award corrected".
    - 25 Mar: order B's 8.00 clears.
    - 28 Mar: payout of 10.00, reference BANK-42.

    Closing: pending 4.17 − 2.08 + 8.00 − 8.00 = 2.09; cleared 5.00 − 1.50 + 8.00 − 10.00 = 1.50.
    """

    creator: User
    staff: User
    tide: Design
    dunes: Design
    order_a: str
    order_b: str
    accrual_a: LedgerTransaction
    accrual_b: LedgerTransaction


def march(app: Flask, session: Session) -> March:
    creator = UserFactory(email="zoe@example.test", display_name="Zoë Maker 🎨")
    staff = StaffFactory(email="sam@example.test", display_name="Sam Staff")
    tide = on_sale(creator, "Midnight Tide")
    dunes = on_sale(creator, "Quiet Dunes")
    line_a = paid_order(app, session, tide, 2, at=day(2), reference="pi_a")
    accrual_a = accrue(session, line_a, [piece(2, 4167, 417)], at=day(2))
    award(session, creator, dunes, 500, at=day(3))
    line_b = paid_order(
        app, session, dunes, 3, at=day(5), colour="white", size="L", price=3000, reference="pi_b"
    )
    accrual_b = accrue(
        session,
        line_b,
        [
            piece(2, 5000, 500, first_unit=99),
            piece(1, 2500, 300, tier=2, first_unit=101, rate="0.12"),
        ],
        at=day(5),
    )
    reverse(session, accrual_a, [piece(1, 2083, 208, reverses=accrual_a.pieces[0])], at=day(10))
    adjust(session, creator, -150, "Duplicate award corrected", at=day(20), actor=staff)
    clear(session, accrual_b, 800, at=day(25))
    pay_out(session, creator, 1000, "BANK-42", at=day(28))
    return March(
        creator=creator,
        staff=staff,
        tide=tide,
        dunes=dunes,
        order_a=order_of(session, line_a).number,
        order_b=order_of(session, line_b).number,
        accrual_a=accrual_a,
        accrual_b=accrual_b,
    )
