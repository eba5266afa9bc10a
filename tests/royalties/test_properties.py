"""Property tests: random sales (crossing small tiers 1/3/6), partial and full refunds,
shipping, clearing, payouts and month closes; the ledger always reconciles."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.config import settings as app_settings
from cocreate.royalties import clearing, ledger, periods, rules, verify
from cocreate.royalties.ledger import Leg
from cocreate.royalties.models import (
    ENTRY,
    Account,
    AccrualPiece,
    Kind,
    LedgerEntry,
    LedgerTransaction,
    ScheduleBasis,
    Statement,
)
from cocreate.royalties.rules import Tier
from cocreate.shop import refunds as shop_refunds
from cocreate.shop.models import Order, OrderState
from tests.conftest import TEST_START
from tests.royalties.conftest import Shop, eur

TIERS = (
    Tier(1, Decimal("0.10"), None),
    Tier(3, Decimal("0.125"), None),
    Tier(6, Decimal("0.15"), None),
)

step = st.one_of(
    st.tuples(st.just("sell"), st.integers(0, 2), st.integers(1, 4), st.integers(0, 1)),
    st.tuples(st.just("refund"), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("ship"), st.integers(0, 20)),
    st.tuples(st.just("advance"), st.integers(1, 40)),
    st.tuples(st.just("clear")),
    st.tuples(st.just("payout"), st.integers(1, 100)),
    st.tuples(st.just("close")),
)


def _apply(
    shop: Shop,
    app: Flask,
    variants: list[Any],
    orders: list[Order],
    action: tuple,
    creators: set[int],
) -> None:
    session = shop.session
    kind = action[0]
    if kind == "sell":
        _, design, units, second = action
        lines = [(variants[design], units)]
        if second:
            lines.append((variants[(design + 1) % len(variants)], 1))
        orders.append(shop.sell(*lines))
    elif kind == "refund" and orders:
        order = orders[action[1] % len(orders)]
        if order.state not in shop_refunds.REFUNDABLE:
            return
        left = {line.id: shop_refunds.remaining_units(order, line) for line in order.lines}
        if not any(left.values()):
            return
        if action[2]:
            shop.refund(order)
        else:
            line_id = next(line for line, units in left.items() if units)
            shop.refund(order, {line_id: 1})
    elif kind == "ship" and orders:
        order = orders[action[1] % len(orders)]
        if order.fulfilled_at is None and order.state in (
            OrderState.PAID,
            OrderState.PARTIALLY_REFUNDED,
        ):
            shop.ship(order)
    elif kind == "advance":
        shop.clock.advance(timedelta(days=action[1]))
    elif kind == "clear":
        clearing.clear_due(session, now=shop.clock.now(), settings=app_settings(app))
    elif kind == "payout":
        for creator in sorted(creators):
            cleared = ledger.balance(session, creator, "EUR").cleared.amount
            amount = cleared * action[1] // 100
            if amount > 0:
                ledger.post(
                    session,
                    kind=Kind.PAYOUT,
                    creator_id=creator,
                    currency="EUR",
                    legs=[
                        Leg(Account.CREATOR_CLEARED, -amount),
                        Leg(Account.PAYOUTS_IN_TRANSIT, amount),
                    ],
                    at=shop.clock.now(),
                )
    elif kind == "close":
        month = ledger.previous_period(ledger.period_of(shop.clock.now()))
        periods.close_period(session, month, actor_id=None, now=shop.clock.now())


def _check(session: Session, app: Flask) -> None:
    # Every transaction balances.
    unbalanced = session.execute(
        select(LedgerEntry.transaction_id)
        .group_by(LedgerEntry.transaction_id)
        .having(func.sum(ENTRY.amount_amount) != 0)
    ).all()
    assert unbalanced == []
    # Each creator's ledger = their latest statement's closing + the legs after it.
    legs: dict[tuple[int, str, Account], int] = defaultdict(int)
    for entry in session.scalars(select(LedgerEntry)):
        legs[(entry.creator_id, entry.period, entry.account)] += entry.amount.amount
    creators = {creator for creator, _p, _a in legs}
    for creator in creators:
        latest = session.scalars(
            select(Statement)
            .where(Statement.creator_id == creator)
            .order_by(Statement.period.desc())
        ).first()
        for account in (Account.CREATOR_PENDING, Account.CREATOR_CLEARED):
            total = sum(v for (c, _p, a), v in legs.items() if c == creator and a == account)
            later = sum(
                v
                for (c, p, a), v in legs.items()
                if c == creator and a == account and (latest is None or p > latest.period)
            )
            closing = 0
            if latest is not None:
                closing = (
                    latest.closing_pending
                    if account is Account.CREATOR_PENDING
                    else latest.closing_cleared
                )
            assert total == closing + later
    # Reversals of a fully refunded line give back its accrual exactly; rounding stays within
    # half a cent of the exact value per entry.
    transactions = session.scalars(select(LedgerTransaction)).all()
    pieces = {p.id: p for p in session.scalars(select(AccrualPiece))}
    reversed_units: dict[int, int] = defaultdict(int)
    reversed_amount: dict[int, int] = defaultdict(int)
    for row in transactions:
        if row.kind is Kind.REVERSAL:
            for piece in row.pieces:
                assert piece.reverses_id is not None
                reversed_units[piece.reverses_id] += piece.units
                reversed_amount[piece.reverses_id] += piece.amount.amount
    for row in transactions:
        if row.kind is not Kind.ACCRUAL:
            continue
        for piece in row.pieces:
            exact = Fraction(piece.net_base.amount) * Fraction(piece.rate or 0)
            assert abs(piece.amount.amount - exact) <= Fraction(1, 2)
            share = Fraction(piece.amount.amount * reversed_units[piece.id], piece.units)
            assert abs(reversed_amount[piece.id] - share) <= Fraction(1, 2)
            assert reversed_units[piece.id] <= piece.units
            if reversed_units[piece.id] == piece.units:
                assert reversed_amount[piece.id] == pieces[piece.id].amount.amount
    assert verify.verify(session, settings=app_settings(app)) == []


@pytest.mark.usefixtures("request_ctx")
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(step, min_size=1, max_size=25))
def test_the_ledger_always_reconciles(
    app: Flask, db_session: Session, shop: Shop, actions: list[tuple]
) -> None:
    shop.clock.set(TEST_START)
    nested = db_session.begin_nested()
    try:
        rules.save_schedule(
            db_session,
            effective_from=TEST_START,
            basis=ScheduleBasis.PERCENT,
            tiers=TIERS,
            award=eur(0),
            actor_id=None,
            now=TEST_START,
        )
        one, two = shop.design(), shop.design()
        variants = [shop.variant(one, 1999), shop.variant(one, 2500), shop.variant(two, 1234)]
        orders: list[Order] = []
        for action in actions:
            _apply(shop, app, variants, orders, action, {one.designer_id, two.designer_id})
        _check(db_session, app)
    finally:
        nested.rollback()
