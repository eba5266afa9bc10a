"""Variants and their stock: the SKU of a variant, and restocking from a run that arrived."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cocreate.core import db
from cocreate.production.models import ProductionRun, Variant

#: The columns that name a variant (its unique key).
VARIANT_KEY = ("design_id", "product", "colour", "size")


def sku(design_id: int, product: str, colour: str, size: str) -> str:
    """ "D00042-TEE-BLACK-M", "D00042-POSTER-30X40" (a product without colours has no colour
    part). Made from the variant's key only, so it never changes; the catalogue test checks
    that no two variants of one product share one (keys may hold hyphens)."""
    parts = [f"D{design_id:05d}", product, *([colour] if colour else []), size]
    return "-".join(part.upper() for part in parts)


def restock(session: Session, run: ProductionRun, *, at: datetime) -> None:
    """Add each line's quantity to its variant's stock, creating the variants a first run
    needs; the variants take the run's retail prices.

    One statement per line, `INSERT … ON CONFLICT (key) DO UPDATE SET stock_on_hand =
    variants.stock_on_hand + excluded.stock_on_hand`: the addition happens in the database, so
    it stays right when the shop reserves from the same row meanwhile, and two runs of one
    design arriving at once cannot both insert a variant. Calling it once per run is the
    caller's job: `lifecycle.mark_in_stock` does it under the run's row lock, after the
    state check, so a double click restocks once.
    """
    insert = db.upsert_insert(session)
    table = Variant.__table__
    for line in run.lines:
        price = run.price_of(line.product)
        statement = insert(table).values(
            design_id=run.design_id,
            product=line.product,
            colour=line.colour,
            size=line.size,
            sku=sku(run.design_id, line.product, line.colour, line.size),
            stock_on_hand=line.quantity,
            price_amount=price.amount,
            price_currency=price.currency,
            created_at=at,
            updated_at=at,
        )
        excluded = statement.excluded
        session.execute(
            statement.on_conflict_do_update(
                index_elements=list(VARIANT_KEY),
                set_={
                    "stock_on_hand": table.c.stock_on_hand + excluded.stock_on_hand,
                    "price_amount": excluded.price_amount,
                    "price_currency": excluded.price_currency,
                    "updated_at": excluded.updated_at,
                },
            )
        )
