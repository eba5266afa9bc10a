"""The demo's royalties: the demo orders replayed through the real services, month by month."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.config import settings
from cocreate.core.db import now_utc
from cocreate.demo.royalties import seed_royalties
from cocreate.demo.shop import seed_shop
from cocreate.designs.models import DesignState
from cocreate.royalties import verify
from cocreate.royalties.models import (
    Kind,
    LedgerTransaction,
    Payout,
    PayoutMethod,
    PayoutState,
    PeriodState,
    RoyaltyPeriod,
    Statement,
)
from tests.accounts.factories import StaffFactory, UserFactory
from tests.designs.factories import DesignFactory
from tests.shop.checkout_factories import VariantFactory


@pytest.mark.usefixtures("request_ctx")
def test_demo_royalties_close_every_past_month_and_verify(app: Flask, db_session: Session) -> None:
    # The demo orders are dated back from the system clock, so the replay runs up to it too.
    now = now_utc()
    design = DesignFactory(state=DesignState.ON_SALE)
    since = now - timedelta(days=200)
    for size in ("S", "M", "L"):
        VariantFactory(design=design, size=size, created_at=since)
    staff = StaffFactory()
    orders = seed_shop(db_session, random.Random(3), [UserFactory()], staff, settings(app))
    first_paid = min(o.paid_at for o in orders if o.paid_at is not None)

    seed_royalties(db_session, orders, staff, settings(app), now)

    assert verify.verify(db_session, settings=settings(app)) == []
    # Every month from the first sale to the last one is closed, the current one is not.
    expected, year, month = [], first_paid.year, first_paid.month
    while (year, month) != (now.year, now.month):
        expected.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    closed = db_session.scalars(
        select(RoyaltyPeriod.period)
        .where(RoyaltyPeriod.state == PeriodState.CLOSED)
        .order_by(RoyaltyPeriod.period)
    )
    assert list(closed) == expected
    statements = db_session.scalars(
        select(Statement).where(Statement.creator_id == design.designer_id)
    ).all()
    assert sorted(s.period for s in statements) == expected
    # 250-odd tees sold: the designer passed the 25.00 threshold and was paid by transfer.
    payouts = db_session.scalars(select(Payout)).all()
    assert payouts
    assert {(p.method, p.state) for p in payouts} == {(PayoutMethod.MANUAL, PayoutState.PAID)}
    assert all(p.reference.startswith("DEMO-SEPA-") for p in payouts)
    kinds = set(db_session.scalars(select(LedgerTransaction.kind)))
    assert {Kind.ACCRUAL, Kind.REVERSAL, Kind.CLEARING, Kind.PAYOUT} <= kinds
