"""Read side of the cart: its lines priced from the variants as they are now, with what
changed since they were added (sold out, fewer left, no longer on sale); the nav's count."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.core.money import Money
from cocreate.designs.models import Design, DesignState, Mockup
from cocreate.production.models import Variant
from cocreate.shop.cart_models import Cart, CartLine, Owner


class Problem(StrEnum):
    #: The design is no longer on sale.
    UNAVAILABLE = "unavailable"
    #: None left.
    SOLD_OUT = "sold_out"
    #: Fewer left than the line holds.
    SHORT = "short"


@dataclass(frozen=True)
class Item:
    variant: Variant
    design: Design
    quantity: int
    mockup: Mockup | None

    @property
    def unit_price(self) -> Money:
        return self.variant.price

    @property
    def total(self) -> Money:
        return self.variant.price * self.quantity

    @property
    def problem(self) -> Problem | None:
        if self.design.state is not DesignState.ON_SALE:
            return Problem.UNAVAILABLE
        if self.variant.stock_on_hand <= 0:
            return Problem.SOLD_OUT
        if self.variant.stock_on_hand < self.quantity:
            return Problem.SHORT
        return None


@dataclass(frozen=True)
class Contents:
    items: list[Item]

    @property
    def count(self) -> int:
        return sum(item.quantity for item in self.items)

    @property
    def total(self) -> Money | None:
        if not self.items:
            return None
        return Money.sum((i.total for i in self.items), self.items[0].unit_price.currency)

    @property
    def has_problems(self) -> bool:
        return any(item.problem for item in self.items)


def contents(session: Session, owner: Owner | None) -> Contents:
    """The cart's lines with their variants, designs and mockups, in the order they were added,
    priced from the variants as they are now."""
    if owner is None:
        return Contents([])
    rows = session.execute(
        select(CartLine.quantity, Variant, Design)
        .join(Cart, Cart.id == CartLine.cart_id)
        .join(Variant, Variant.id == CartLine.variant_id)
        .join(Design, Design.id == Variant.design_id)
        .where(owner.matches())
        .order_by(CartLine.added_at, CartLine.variant_id)
    ).all()
    design_ids = {design.id for _quantity, _variant, design in rows}
    mockups: dict[tuple[int, str, str], Mockup] = {}
    if design_ids:
        for mockup in session.scalars(select(Mockup).where(Mockup.design_id.in_(design_ids))):
            mockups[(mockup.design_id, mockup.product, mockup.colour)] = mockup
    items = []
    for quantity, variant, design in rows:
        shown = mockups.get((design.id, variant.product, variant.colour))
        items.append(Item(variant, design, quantity, shown))
    return Contents(items)


def lines(session: Session, owner: Owner | None) -> list[tuple[int, int]]:
    """(variant id, quantity) of the cart's lines, by variant id."""
    if owner is None:
        return []
    rows = session.execute(
        select(CartLine.variant_id, CartLine.quantity)
        .join(Cart, Cart.id == CartLine.cart_id)
        .where(owner.matches())
        .order_by(CartLine.variant_id)
    )
    return [(variant_id, quantity) for variant_id, quantity in rows]


def count(session: Session, owner: Owner | None) -> int:
    """Units in the cart: one indexed query, none without a cart."""
    if owner is None:
        return 0
    total = session.scalar(
        select(func.coalesce(func.sum(CartLine.quantity), 0))
        .join(Cart, Cart.id == CartLine.cart_id)
        .where(owner.matches())
    )
    return int(total or 0)
