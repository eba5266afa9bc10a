"""Accruals when an order is paid, reversals when it is refunded, awards on approval."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.config import override, settings
from cocreate.designs import lifecycle as design_lifecycle
from cocreate.designs.models import DesignState
from cocreate.royalties import accruals, clearing, ledger, rules
from cocreate.royalties.ledger import Leg
from cocreate.royalties.models import (
    Account,
    AccrualPiece,
    DesignUnits,
    Kind,
    LedgerTransaction,
    ScheduleBasis,
)
from cocreate.royalties.rules import Tier
from tests.designs.factories import DesignFactory
from tests.royalties.conftest import Shop, eur

pytestmark = pytest.mark.usefixtures("request_ctx")


def _transactions(session: Session, kind: Kind | None = None) -> list[LedgerTransaction]:
    query = select(LedgerTransaction).order_by(LedgerTransaction.id)
    if kind is not None:
        query = query.where(LedgerTransaction.kind == kind)
    return list(session.scalars(query))


def _legs(row: LedgerTransaction) -> list[tuple[Account, int]]:
    return [(e.account, e.amount.amount) for e in row.entries]


def _pieces(row: LedgerTransaction) -> list[tuple[Any, ...]]:
    return [
        (
            p.tier,
            p.first_unit,
            p.units,
            p.rate,
            p.per_unit_amount,
            p.net_base.amount,
            p.amount.amount,
        )
        for p in sorted(row.pieces, key=lambda p: p.first_unit)
    ]


def _units(session: Session, design_id: int) -> int | None:
    return session.scalar(select(DesignUnits.units).where(DesignUnits.design_id == design_id))


def test_a_paid_line_accrues_ten_percent_of_its_net(shop: Shop, db_session: Session) -> None:
    design = shop.design()
    # 3 × 25.00 including 20 % VAT: net 62.50, 10 % of it 6.25.
    order = shop.sell((shop.variant(design), 3))
    (accrual,) = _transactions(db_session)
    (line,) = order.lines
    assert (accrual.kind, accrual.creator_id, accrual.order_line_id, accrual.design_id) == (
        Kind.ACCRUAL,
        design.designer_id,
        line.id,
        design.id,
    )
    assert (accrual.units, accrual.schedule_id, accrual.period) == (3, None, "2026-03")
    assert accrual.memo == "Tide"
    assert _legs(accrual) == [(Account.CREATOR_PENDING, 625), (Account.ROYALTY_EXPENSE, -625)]
    assert _pieces(accrual) == [(1, 1, 3, Decimal("0.100000"), None, 6250, 625)]
    assert _units(db_session, design.id) == 3
    balance = ledger.balance(db_session, design.designer_id, "EUR")
    assert (balance.pending, balance.cleared) == (eur(625), eur(0))


def test_accruing_again_writes_nothing(shop: Shop, db_session: Session, app: Flask) -> None:
    design = shop.design()
    order = shop.sell((shop.variant(design), 3), (shop.variant(design, price=1000), 1))
    first = accruals.accrue_order(db_session, order, at=shop.clock.now(), settings=settings(app))
    again = accruals.accrue_order(db_session, order, at=shop.clock.now(), settings=settings(app))
    assert [row.id for row in first] == [row.id for row in again]
    assert len(_transactions(db_session)) == 2
    assert _units(db_session, design.id) == 4


def test_a_line_crossing_unit_100_is_split_by_units(shop: Shop, db_session: Session) -> None:
    design = shop.design()
    db_session.add(DesignUnits(design_id=design.id, units=98))
    # 5 × 25.00: net 104.17, units 99–100 at 10 % and 101–103 at 12 %.
    shop.sell((shop.variant(design), 5))
    (accrual,) = _transactions(db_session)
    assert _pieces(accrual) == [
        (1, 99, 2, Decimal("0.100000"), None, 4167, 417),
        (2, 101, 3, Decimal("0.120000"), None, 6250, 750),
    ]
    assert _legs(accrual) == [(Account.CREATOR_PENDING, 1167), (Account.ROYALTY_EXPENSE, -1167)]


def test_a_schedule_applies_from_its_date_and_past_accruals_keep_theirs(
    shop: Shop, db_session: Session
) -> None:
    design = shop.design()
    variant = shop.variant(design)
    shop.sell((variant, 3))
    schedule = rules.save_schedule(
        db_session,
        effective_from=shop.clock.now() + timedelta(days=1),
        basis=ScheduleBasis.PER_UNIT,
        tiers=(Tier(1, None, 150), Tier(5, None, 200)),
        award=eur(0),
        actor_id=shop.staff.id,
        now=shop.clock.now(),
    )
    assert schedule.created_by_id == shop.staff.id
    shop.clock.advance(timedelta(days=1))
    shop.sell((variant, 3))
    old, new = _transactions(db_session)
    assert (old.schedule_id, _legs(old)[0]) == (None, (Account.CREATOR_PENDING, 625))
    assert new.schedule_id == schedule.id
    # Units 4–6: one at 1.50, two at 2.00.
    assert _pieces(new) == [(1, 4, 1, None, 150, 2083, 150), (2, 5, 2, None, 200, 4167, 400)]
    assert _legs(new) == [(Account.CREATOR_PENDING, 550), (Account.ROYALTY_EXPENSE, -550)]


def test_a_zero_royalty_records_its_units_without_legs(shop: Shop, db_session: Session) -> None:
    rules.save_schedule(
        db_session,
        effective_from=shop.clock.now(),
        basis=ScheduleBasis.PERCENT,
        tiers=(Tier(1, Decimal("0"), None),),
        award=eur(0),
        actor_id=None,
        now=shop.clock.now(),
    )
    design = shop.design()
    order = shop.sell((shop.variant(design), 2))
    (accrual,) = _transactions(db_session)
    assert (_legs(accrual), accrual.units) == ([], 2)
    assert _pieces(accrual) == [(1, 1, 2, Decimal("0.000000"), None, 4167, 0)]
    shop.refund(order)
    (_, reversal) = _transactions(db_session)
    assert (reversal.kind, _legs(reversal), reversal.units) == (Kind.REVERSAL, [], 2)


def test_a_transaction_without_legs_needs_zero_pieces(shop: Shop, db_session: Session) -> None:
    user = shop.staff
    piece = AccrualPiece(
        tier=1, first_unit=1, units=1, rate=Decimal("0.1"), net_base=eur(100), amount=eur(10)
    )
    for pieces in ([], [piece]):
        with pytest.raises(ledger.Unbalanced):
            ledger.post(
                db_session,
                kind=Kind.ACCRUAL,
                creator_id=user.id,
                currency="EUR",
                legs=[],
                at=shop.clock.now(),
                pieces=pieces,
            )


def test_refund_of_one_of_three_reverses_the_last_unit(shop: Shop, db_session: Session) -> None:
    design = shop.design()
    order = shop.sell((shop.variant(design), 3))
    (line,) = order.lines
    refund = shop.refund(order, {line.id: 1})
    accrual, reversal = _transactions(db_session)
    assert (reversal.kind, reversal.related_id, reversal.refund_id, reversal.units) == (
        Kind.REVERSAL,
        accrual.id,
        refund.id,
        1,
    )
    assert (reversal.design_id, reversal.memo) == (design.id, "Tide")
    # 6.25 × 1/3 = 2.0833 → 2.08, and the net 62.50 × 1/3 = 20.83.
    assert _legs(reversal) == [(Account.CREATOR_PENDING, -208), (Account.ROYALTY_EXPENSE, 208)]
    (piece,) = reversal.pieces
    assert (piece.first_unit, piece.units, piece.net_base.amount, piece.amount.amount) == (
        3,
        1,
        2083,
        208,
    )
    assert piece.reverses_id == accrual.pieces[0].id
    # A refund does not give its unit numbers back: the next sale starts at unit 4.
    assert _units(db_session, design.id) == 3
    # The rest: 6.25 − 2.08 = 4.17, so the two reversals give back the accrual exactly.
    shop.refund(order)
    *_, last = _transactions(db_session)
    assert (_legs(last), last.units) == (
        [(Account.CREATOR_PENDING, -417), (Account.ROYALTY_EXPENSE, 417)],
        2,
    )
    assert _units(db_session, design.id) == 3  # units sold, refunds included
    assert ledger.balance(db_session, design.designer_id, "EUR").total == eur(0)
    # Replaying the reconciler writes nothing more.
    assert accruals.reverse_refunds(db_session, order, at=shop.clock.now()) == []


def test_a_refund_across_tiers_goes_last_in_first_out(shop: Shop, db_session: Session) -> None:
    design = shop.design()
    db_session.add(DesignUnits(design_id=design.id, units=98))
    order = shop.sell((shop.variant(design), 5))
    (line,) = order.lines
    shop.refund(order, {line.id: 4})
    _, reversal = _transactions(db_session)
    # Units 103, 102, 101 (12 %: all 7.50 of that piece) then 100 (10 %: 4.17 × 1/2 = 2.085 → 2.08).
    assert _pieces(reversal) == [
        (1, 100, 1, Decimal("0.100000"), None, 2084, 208),
        (2, 101, 3, Decimal("0.120000"), None, 6250, 750),
    ]
    assert _legs(reversal) == [(Account.CREATOR_PENDING, -958), (Account.ROYALTY_EXPENSE, 958)]
    assert _units(db_session, design.id) == 103


def test_refunded_units_do_not_reopen_a_tier(shop: Shop, db_session: Session) -> None:
    """Units 96-100 sold (10 %), unit 101 sold (12 %), the first order refunded in full: the
    next sale starts at unit 102, so unit 101 is paid at 12 % once only."""
    design = shop.design()
    tee = shop.variant(design)
    db_session.add(DesignUnits(design_id=design.id, units=95))
    first = shop.sell((tee, 5))
    shop.sell((tee, 1))
    shop.refund(first)
    third = shop.sell((tee, 2))
    accrual = accruals.accrual_of(db_session, third.lines[0].id)
    assert accrual is not None
    assert [(p.tier, p.first_unit, p.units) for p in accrual.pieces] == [(2, 102, 2)]
    assert _units(db_session, design.id) == 103


def test_a_full_refund_after_clearing_comes_out_of_cleared_earnings(
    shop: Shop, db_session: Session, app: Flask
) -> None:
    design = shop.design()
    order = shop.sell((shop.variant(design), 3))
    shop.ship(order)
    shop.clock.advance(timedelta(days=30))
    assert clearing.clear_due(db_session, now=shop.clock.now(), settings=settings(app)) == 1
    shop.refund(order)
    *_, reversal = _transactions(db_session)
    assert _legs(reversal) == [(Account.CREATOR_CLEARED, -625), (Account.ROYALTY_EXPENSE, 625)]
    balance = ledger.balance(db_session, design.designer_id, "EUR")
    assert (balance.pending, balance.cleared) == (eur(0), eur(0))


def test_a_refund_after_a_payout_leaves_a_negative_balance(
    shop: Shop, db_session: Session, app: Flask
) -> None:
    design = shop.design()
    order = shop.sell((shop.variant(design), 3))
    shop.ship(order)
    shop.clock.advance(timedelta(days=31))
    clearing.clear_due(db_session, now=shop.clock.now(), settings=settings(app))
    ledger.post(
        db_session,
        kind=Kind.PAYOUT,
        creator_id=design.designer_id,
        currency="EUR",
        legs=[Leg(Account.CREATOR_CLEARED, -625), Leg(Account.PAYOUTS_IN_TRANSIT, 625)],
        at=shop.clock.now(),
    )
    (line,) = order.lines
    shop.refund(order, {line.id: 1})
    balance = ledger.balance(db_session, design.designer_id, "EUR")
    assert (balance.pending, balance.cleared) == (eur(0), eur(-208))
    # Later earnings absorb it.
    shop.sell((shop.variant(design), 1))
    assert ledger.balance(db_session, design.designer_id, "EUR").total == eur(0)


def test_an_approved_design_earns_the_award_once(
    app: Flask, db_session: Session, shop: Shop
) -> None:
    override(app, ROYALTY_APPROVAL_AWARD=1000)
    design = DesignFactory(state=DesignState.CLOSED, title="Harbour Lights")
    design_lifecycle.approve(db_session, design, shop.staff)
    (award,) = _transactions(db_session)
    assert (award.kind, award.design_id, award.creator_id, award.memo) == (
        Kind.AWARD,
        design.id,
        design.designer_id,
        "Harbour Lights",
    )
    assert _legs(award) == [(Account.CREATOR_CLEARED, 1000), (Account.ROYALTY_EXPENSE, -1000)]
    at = shop.clock.now()
    assert accruals.award_design(db_session, design, at=at, settings=settings(app)) is None
    assert len(_transactions(db_session)) == 1


def test_no_award_by_default(app: Flask, db_session: Session, shop: Shop) -> None:
    design = DesignFactory(state=DesignState.CLOSED)
    design_lifecycle.approve(db_session, design, shop.staff)
    assert _transactions(db_session) == []
