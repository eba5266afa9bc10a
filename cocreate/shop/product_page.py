"""The product page of a design on sale: its variants as a picker (product, colour, size).

The picker works without JavaScript: products and colours are links that reload the page on
that choice (the mockup follows), and the sizes of the chosen product and colour are the radio
buttons of the add-to-cart form, sold-out ones disabled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from cocreate.catalogue import products as catalogue
from cocreate.catalogue.spec import ProductSpec
from cocreate.core import db
from cocreate.core.money import Money
from cocreate.designs.models import Design, DesignState, Mockup
from cocreate.production.models import Variant
from cocreate.shop.catalogue import catalogue_order, colour_name, size_name


@dataclass(frozen=True)
class Choice:
    """A product or a colour the visitor can switch to."""

    key: str
    name: str
    current: bool
    #: Some size of it is in stock.
    in_stock: bool


@dataclass(frozen=True)
class SizeChoice:
    variant: Variant
    name: str
    checked: bool

    @property
    def sold_out(self) -> bool:
        return self.variant.stock_on_hand <= 0


@dataclass(frozen=True)
class ProductPage:
    design: Design
    products: list[Choice]
    product: ProductSpec
    #: Empty for a product without colours.
    colours: list[Choice]
    colour: str
    sizes: list[SizeChoice]
    mockup: Mockup | None
    mockup_alt: str
    #: The lowest price among the sizes shown; `price_varies` when some cost more.
    price: Money
    price_varies: bool

    @property
    def in_stock(self) -> int:
        """Units in stock over the sizes shown."""
        return sum(max(s.variant.stock_on_hand, 0) for s in self.sizes)


def design_on_sale(session: Session, design_id: int) -> Design | None:
    """The design with its designer, mockups and tags, if it is on sale."""
    return session.scalars(
        select(Design)
        .where(Design.id == design_id, Design.state == DesignState.ON_SALE)
        .options(
            joinedload(Design.designer), selectinload(Design.mockups), selectinload(Design.tags)
        )
    ).one_or_none()


def product_page(session: Session, design: Design, args: Mapping[str, str]) -> ProductPage | None:
    """The page of `design` on the product, colour and size asked for in `args` where the
    design has them; otherwise on the first in stock, in catalogue order. None when the
    design has no variants in a product the catalogue still sells."""
    variants = sorted(
        session.scalars(select(Variant).where(Variant.design_id == design.id)),
        key=catalogue_order,
    )
    variants = [v for v in variants if catalogue.is_product(v.product)]
    if not variants:
        return None
    product = _pick([v.product for v in variants], variants, args.get("product"), "product")
    of_product = [v for v in variants if v.product == product]
    colour = _pick([v.colour for v in of_product], of_product, args.get("colour"), "colour")
    shown = [v for v in of_product if v.colour == colour]
    spec = catalogue.get(product)
    size = args.get("size")
    sizes = [
        SizeChoice(v, size_name(product, v.size), v.size == size and v.stock_on_hand > 0)
        for v in shown
    ]
    prices = [v.price for v in shown]
    mockup = next(
        (m for m in design.mockups if (m.product, m.colour) == (product, colour)),
        next((m for m in design.mockups if m.product == product), None),
    )
    alt = str(spec.mockup_alt) % {"title": design.title, "colour": colour_name(product, colour)}
    return ProductPage(
        design=design,
        products=_choices(variants, "product", product, lambda key: str(catalogue.get(key).name)),
        product=spec,
        colours=[
            c
            for c in _choices(of_product, "colour", colour, lambda key: colour_name(product, key))
            if c.key
        ],
        colour=colour,
        sizes=sizes,
        mockup=mockup,
        mockup_alt=alt,
        price=min(prices),
        price_varies=len(set(prices)) > 1,
    )


def _pick(keys: list[str], variants: list[Variant], asked: str | None, attribute: str) -> str:
    if asked is not None and asked in keys:
        return asked
    stocked = [getattr(v, attribute) for v in variants if v.stock_on_hand > 0]
    return stocked[0] if stocked else keys[0]


def _choices(
    variants: list[Variant], attribute: str, current: str, name: Callable[[str], str]
) -> list[Choice]:
    """One choice per distinct value of `attribute`, in the (catalogue) order of `variants`."""
    seen: dict[str, bool] = {}
    for variant in variants:
        key = getattr(variant, attribute)
        seen[key] = seen.get(key, False) or variant.stock_on_hand > 0
    return [Choice(key, name(key), key == current, stocked) for key, stocked in seen.items()]


def render_design_section(design: Design) -> str:
    """The shop's part of a design's page (designs' "aside" slot): where to buy it."""
    if design.state is not DesignState.ON_SALE:
        return ""
    session = db.session()
    if session.scalar(select(Variant.id).where(Variant.design_id == design.id).limit(1)) is None:
        return ""
    return render_template("shop/product_aside.html", design=design)
