"""Earnings clear once the return window after shipping has passed, to the second."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.config import settings
from cocreate.royalties import clearing, ledger
from cocreate.royalties.models import Account, Kind, LedgerTransaction
from tests.royalties.conftest import Shop, eur

pytestmark = pytest.mark.usefixtures("request_ctx")


def _clearings(session: Session) -> list[tuple[int | None, list[tuple[Account, int]]]]:
    rows = session.scalars(
        select(LedgerTransaction)
        .where(LedgerTransaction.kind == Kind.CLEARING)
        .order_by(LedgerTransaction.id)
    )
    return [(r.related_id, [(e.account, e.amount.amount) for e in r.entries]) for r in rows]


def _clear(shop: Shop, app: Flask) -> int:
    return clearing.clear_due(shop.session, now=shop.clock.now(), settings=settings(app))


def test_an_accrual_clears_exactly_30_days_after_shipping(
    shop: Shop, db_session: Session, app: Flask
) -> None:
    design = shop.design()
    order = shop.sell((shop.variant(design), 3))
    shop.clock.advance(timedelta(days=2))
    shop.ship(order)
    shop.clock.advance(timedelta(days=30, seconds=-1))
    assert _clear(shop, app) == 0
    shop.clock.advance(timedelta(seconds=1))
    assert _clear(shop, app) == 1
    accrual_id = db_session.scalar(
        select(LedgerTransaction.id).where(LedgerTransaction.kind == Kind.ACCRUAL)
    )
    assert _clearings(db_session) == [
        (accrual_id, [(Account.CREATOR_PENDING, -625), (Account.CREATOR_CLEARED, 625)])
    ]
    balance = ledger.balance(db_session, design.designer_id, "EUR")
    assert (balance.pending, balance.cleared) == (eur(0), eur(625))
    assert _clear(shop, app) == 0
    assert len(_clearings(db_session)) == 1


def test_an_order_not_shipped_never_clears(shop: Shop, app: Flask) -> None:
    shop.sell((shop.variant(shop.design()), 3))
    shop.clock.advance(timedelta(days=400))
    assert _clear(shop, app) == 0


def test_what_clears_is_the_accrual_less_its_reversals(
    shop: Shop, db_session: Session, app: Flask
) -> None:
    design = shop.design()
    order = shop.sell((shop.variant(design), 3), (shop.variant(design, price=1000), 1))
    tee, other = order.lines
    shop.ship(order)
    shop.refund(order, {tee.id: 1, other.id: 1})
    shop.clock.advance(timedelta(days=30))
    # The tee: 6.25 − 2.08; the other line is refunded in full: nothing left, no clearing.
    assert _clear(shop, app) == 1
    (cleared,) = _clearings(db_session)
    assert cleared[1] == [(Account.CREATOR_PENDING, -417), (Account.CREATOR_CLEARED, 417)]


def test_a_custom_window_and_batches(
    shop: Shop, db_session: Session, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cocreate.config import override

    override(app, ROYALTY_RETURN_DAYS=14)
    monkeypatch.setattr(clearing, "BATCH", 2)
    variant = shop.variant(shop.design())
    for _ in range(5):
        shop.ship(shop.sell((variant, 1)))
    shop.clock.advance(timedelta(days=14))
    assert _clear(shop, app) == 5
    assert len(_clearings(db_session)) == 5


def test_a_one_cent_accrual_clears(shop: Shop, db_session: Session, app: Flask) -> None:
    """A 0.12 item incl. 20 % VAT: net 0.10, 10 % of it is 0.01, which clears like any other."""
    order = shop.sell((shop.variant(shop.design(), price=12), 1))
    shop.ship(order)
    shop.clock.advance(timedelta(days=30))
    assert _clear(shop, app) == 1
    (cleared,) = _clearings(db_session)
    assert cleared[1] == [(Account.CREATOR_PENDING, -1), (Account.CREATOR_CLEARED, 1)]


def test_a_zero_royalty_never_clears(shop: Shop, db_session: Session, app: Flask) -> None:
    """Under a 0 % schedule the sale's accrual has pieces but no legs: nothing to clear."""
    from decimal import Decimal

    from cocreate.config import override

    override(app, ROYALTY_TIERS={"1": Decimal("0")})
    order = shop.sell((shop.variant(shop.design()), 2))
    shop.ship(order)
    shop.clock.advance(timedelta(days=31))
    assert _clear(shop, app) == 0
    assert _clearings(db_session) == []
