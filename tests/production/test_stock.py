"""Variants: readable SKUs that never collide, and the database refusing stock below zero."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocreate.catalogue import products as catalogue
from cocreate.core.clock import TestClock
from cocreate.core.money import Money
from cocreate.production import stock
from cocreate.production.models import Variant
from tests.designs.factories import DesignFactory
from tests.production.factories import RunFactory


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ((42, "tee", "black", "M"), "D00042-TEE-BLACK-M"),
        ((42, "tee", "heather-grey", "XXL"), "D00042-TEE-HEATHER-GREY-XXL"),
        ((7, "poster", "", "30x40"), "D00007-POSTER-30X40"),
        ((123456, "tote", "natural", "one-size"), "D123456-TOTE-NATURAL-ONE-SIZE"),
    ],
)
def test_sku(key: tuple[int, str, str, str], expected: str) -> None:
    assert stock.sku(*key) == expected


def test_no_two_catalogue_variants_of_a_design_share_a_sku() -> None:
    # Keys may hold hyphens, so "a-b" + "c" and "a" + "b-c" would collide: the catalogue has none.
    skus = [
        stock.sku(1, spec.key, colour, size.key)
        for spec in catalogue.CATALOGUE
        for colour in [c.key for c in spec.colours] or [""]
        for size in spec.sizes
    ]
    assert len(skus) == 36 + 2 + 2
    assert len(set(skus)) == len(skus)


def _variant(design_id: int, on_hand: int) -> Variant:
    return Variant(
        design_id=design_id,
        product="tee",
        colour="white",
        size="M",
        sku=stock.sku(design_id, "tee", "white", "M"),
        stock_on_hand=on_hand,
        price=Money(2500, "EUR"),
    )


def test_stock_cannot_go_below_zero(db_session: Session) -> None:
    design = DesignFactory()
    db_session.add(_variant(design.id, 2))
    db_session.flush()
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(update(Variant).values(stock_on_hand=Variant.stock_on_hand - 3))
    db_session.execute(update(Variant).values(stock_on_hand=Variant.stock_on_hand - 2))
    assert db_session.scalar(select(Variant.stock_on_hand)) == 0


def test_one_variant_per_design_product_colour_size(db_session: Session) -> None:
    design = DesignFactory()
    db_session.add(_variant(design.id, 1))
    db_session.flush()
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(_variant(design.id, 1))
        db_session.flush()


@pytest.mark.usefixtures("request_ctx")
def test_restock_adds_in_sql_to_what_is_there(db_session: Session, clock: TestClock) -> None:
    run = RunFactory()
    db_session.add(_variant(run.design_id, 3))  # e.g. left after sales
    db_session.flush()
    stock.restock(db_session, run, at=clock.now())
    db_session.expire_all()
    rows = db_session.scalars(select(Variant).order_by(Variant.id)).all()
    assert [(v.colour, v.size, v.stock_on_hand) for v in rows] == [
        ("white", "M", 13),
        ("black", "L", 4),
    ]
    assert rows[1].created_at == clock.now()
