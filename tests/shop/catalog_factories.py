"""Designs on sale and their variants, made directly (production's restock is tested there)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import factory

from cocreate.core.db import now_utc
from cocreate.core.money import Money
from cocreate.designs.models import DesignProduct, DesignState, Mockup
from cocreate.production.models import Variant
from cocreate.production.stock import sku
from tests import factories_session
from tests.designs.factories import DesignFactory

_keys = itertools.count()

TEE_COLOURS = ("white", "black", "heather-grey", "navy", "red", "forest-green")


def _mockups() -> list[Mockup]:
    """What the upload pipeline draws for a tee and poster design: one mockup per colour."""
    n = next(_keys)
    tees = [
        Mockup(product="tee", colour=colour, key=f"mockup-{n}-tee-{colour}.webp", position=i)
        for i, colour in enumerate(TEE_COLOURS)
    ]
    return [*tees, Mockup(product="poster", colour="", key=f"mockup-{n}-poster.webp", position=6)]


class OnSaleDesignFactory(DesignFactory):
    """A tee and poster design on sale, with its mockups (no variants: add them with `variant`)."""

    state = DesignState.ON_SALE
    published_at = factory.LazyFunction(lambda: now_utc() - timedelta(days=30))
    products = factory.LazyFunction(
        lambda: [DesignProduct(product="tee"), DesignProduct(product="poster")]
    )
    mockups = factory.LazyFunction(_mockups)


def variant(
    design_id: int,
    product: str = "tee",
    colour: str = "white",
    size: str = "M",
    *,
    stock: int = 5,
    price: int = 2500,
    at: datetime | None = None,
) -> Variant:
    session = factories_session.get()
    row = Variant(
        design_id=design_id,
        product=product,
        colour=colour,
        size=size,
        sku=sku(design_id, product, colour, size),
        stock_on_hand=stock,
        price=Money(price, "EUR"),
        created_at=at or now_utc(),
        updated_at=at or now_utc(),
    )
    session.add(row)
    session.flush()
    return row
