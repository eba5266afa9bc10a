"""Read side of the shop: the catalogue of designs on sale, its filters, and variant labels.

A design is in the catalogue while it is on sale (`DesignState.ON_SALE`) and has variants,
whether in stock or sold out. One page costs a fixed number of queries whatever its size: the
designs with their variants summarised (lowest price, stock, first stocked) and their designer
in one, their mockups in one, the page's variants in one, and the filter choices in two.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from cocreate.accounts.models import User
from cocreate.catalogue import products as catalogue
from cocreate.catalogue.spec import ProductSpec
from cocreate.core.money import Money
from cocreate.designs.models import Design, DesignState, Mockup, Tag, design_tags, tag_slug
from cocreate.production.models import Variant

PAGE_SIZE = 24
#: Deeper pages are not served: nobody browses that far, and huge offsets only cost the database.
MAX_PAGE = 1000


class Sort(StrEnum):
    #: The stored Bayesian rank from votes, then "I'd buy it" votes: the shop has no sales to
    #: rank by yet (units sold can replace it once orders exist).
    POPULAR = "popular"
    #: First stocked most recently.
    NEWEST = "newest"
    PRICE_LOW = "price"
    PRICE_HIGH = "price_desc"


def sort_label(sort: Sort) -> str:
    return {
        Sort.POPULAR: _("Most popular"),
        Sort.NEWEST: _("Newest"),
        Sort.PRICE_LOW: _("Price: low to high"),
        Sort.PRICE_HIGH: _("Price: high to low"),
    }[sort]


def product_choices() -> dict[str, str]:
    """Every catalogue product key with its name, in catalogue order."""
    return {product.key: str(product.name) for product in catalogue.CATALOGUE}


def all_colours() -> dict[str, str]:
    """Every catalogue colour key with its name, in catalogue order (first product first)."""
    found: dict[str, str] = {}
    for product in catalogue.CATALOGUE:
        for colour in product.colours:
            found.setdefault(colour.key, str(colour.name))
    return found


def all_sizes() -> dict[str, str]:
    found: dict[str, str] = {}
    for product in catalogue.CATALOGUE:
        for size in product.sizes:
            found.setdefault(size.key, str(size.name))
    return found


def _positive_int(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit() or len(value.strip()) > 9:
        return None
    number = int(value)
    return number if number > 0 else None


@dataclass(frozen=True)
class Filters:
    """What the visitor asked for. Values the catalogue does not know are dropped (the filter
    is ignored), never an error: links outlive products and colours."""

    product: str | None = None
    colour: str | None = None
    size: str | None = None
    designer: int | None = None
    tag: str | None = None
    sort: Sort = Sort.POPULAR
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Filters:
        product = args.get("product") or None
        if product is not None and not catalogue.is_product(product):
            product = None
        spec = catalogue.get(product) if product else None
        colour = args.get("colour") or None
        known_colours = {c.key for c in spec.colours} if spec else set(all_colours())
        if colour not in known_colours:
            colour = None
        size = args.get("size") or None
        known_sizes = {s.key for s in spec.sizes} if spec else set(all_sizes())
        if size not in known_sizes:
            size = None
        tag = tag_slug(args.get("tag", "")[:40]) or None
        try:
            sort = Sort(args.get("sort", Sort.POPULAR))
        except ValueError:
            sort = Sort.POPULAR
        page = min(_positive_int(args.get("page")) or 1, MAX_PAGE)
        designer = _positive_int(args.get("designer"))
        return cls(product, colour, size, designer, tag, sort, page)

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query arguments for a link to these filters with `changes` (page 1 unless given)."""
        values: dict[str, Any] = {
            "product": self.product,
            "colour": self.colour,
            "size": self.size,
            "designer": self.designer,
            "tag": self.tag,
            "sort": None if self.sort is Sort.POPULAR else self.sort.value,
            "page": None,
        }
        values.update(changes)
        if values["page"] == 1:
            values["page"] = None
        return {key: value for key, value in values.items() if value not in (None, "")}

    @property
    def active(self) -> bool:
        return any((self.product, self.colour, self.size, self.designer, self.tag))


@dataclass(frozen=True)
class Item:
    """One design on a catalogue page."""

    design: Design
    #: The lowest price among its matching variants in stock (among all when none is).
    price: Money
    in_stock: bool
    #: The mockup shown, and the product and colour it shows (the product page opens on them).
    mockup: Mockup | None
    product: str
    colour: str


@dataclass(frozen=True)
class Page:
    items: list[Item]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _variant_filters(filters: Filters) -> list[ColumnElement[bool]]:
    """The filters are about one variant: "a black tee in M in stock" is one variant that is
    all of those, not a black tote beside a white tee in M."""
    where: list[ColumnElement[bool]] = []
    if filters.product:
        where.append(Variant.product == filters.product)
    if filters.colour:
        where.append(Variant.colour == filters.colour)
    if filters.size:
        where += [Variant.size == filters.size, Variant.stock_on_hand > 0]
    return where


def catalogue_page(session: Session, filters: Filters, per_page: int = PAGE_SIZE) -> Page:
    """One page of designs on sale matching `filters`, in its order. Sold-out designs come
    after those in stock whatever the order, so a shopper first sees what they can buy."""
    columns = Variant.__table__.c
    summary = (
        select(
            Variant.design_id.label("design_id"),
            func.min(case((Variant.stock_on_hand > 0, columns.price_amount))).label("stocked"),
            func.min(columns.price_amount).label("lowest"),
            func.min(columns.price_currency).label("currency"),
            func.sum(Variant.stock_on_hand).label("stock"),
            func.min(Variant.created_at).label("since"),
        )
        .where(*_variant_filters(filters))
        .group_by(Variant.design_id)
        .subquery()
    )
    price = func.coalesce(summary.c.stocked, summary.c.lowest)
    sold_out_last = case((summary.c.stock > 0, 0), else_=1)
    order: tuple[ColumnElement[Any], ...] = {
        Sort.POPULAR: (
            Design.rank_score.desc(),
            Design.buy_intent_count.desc(),
            Design.vote_count.desc(),
            Design.id.desc(),
        ),
        Sort.NEWEST: (summary.c.since.desc(), Design.id.desc()),
        Sort.PRICE_LOW: (price.asc(), Design.id.asc()),
        Sort.PRICE_HIGH: (price.desc(), Design.id.desc()),
    }[filters.sort]
    query = (
        select(Design, price, summary.c.currency, summary.c.stock)
        .join(summary, summary.c.design_id == Design.id)
        .where(Design.state == DesignState.ON_SALE)
        .options(joinedload(Design.designer), selectinload(Design.mockups))
        .order_by(sold_out_last, *order)
        .limit(per_page + 1)
        .offset((filters.page - 1) * per_page)
    )
    if filters.designer:
        query = query.where(Design.designer_id == filters.designer)
    if filters.tag:
        query = query.where(Design.tags.any(Tag.slug == filters.tag))
    fetched = session.execute(query).all()
    rows = fetched[:per_page]
    variants = _variants_of(session, [row[0].id for row in rows], filters)
    items = [
        _item(design, Money(int(amount), currency), int(stock) > 0, variants.get(design.id, []))
        for design, amount, currency, stock in rows
    ]
    return Page(items=items, page=filters.page, has_next=len(fetched) > per_page)


def _variants_of(
    session: Session, design_ids: list[int], filters: Filters
) -> dict[int, list[Variant]]:
    if not design_ids:
        return {}
    query = select(Variant).where(Variant.design_id.in_(design_ids), *_variant_filters(filters))
    found: dict[int, list[Variant]] = {}
    for variant in session.scalars(query):
        found.setdefault(variant.design_id, []).append(variant)
    return found


def catalogue_order(variant: Variant) -> tuple[int, int, int, str]:
    """Catalogue order of variants: product, then colour, then size, as the catalogue lists them."""
    if not catalogue.is_product(variant.product):
        return (len(catalogue.CATALOGUE), 0, 0, variant.sku)
    spec = catalogue.get(variant.product)
    colours = [c.key for c in spec.colours]
    sizes = [s.key for s in spec.sizes]
    return (
        catalogue.CATALOGUE.index(spec),
        colours.index(variant.colour) if variant.colour in colours else len(colours),
        sizes.index(variant.size) if variant.size in sizes else len(sizes),
        variant.sku,
    )


def _item(design: Design, price: Money, in_stock: bool, variants: list[Variant]) -> Item:
    """The card shows the first matching variant in catalogue order, one in stock if any."""
    ordered = sorted(variants, key=lambda v: (v.stock_on_hand <= 0, catalogue_order(v)))
    shown = ordered[0] if ordered else None
    product, colour = (shown.product, shown.colour) if shown else ("", "")
    mockup = next(
        (m for m in design.mockups if (m.product, m.colour) == (product, colour)),
        next((m for m in design.mockups if m.product == product), None),
    )
    return Item(design, price, in_stock, mockup, product, colour)


def designers_on_sale(session: Session) -> list[tuple[int, str]]:
    """(id, name) of the designers with a design in the catalogue, by name: the designer filter."""
    query = (
        select(User.id, User.display_name)
        .join(Design, Design.designer_id == User.id)
        .where(Design.state == DesignState.ON_SALE, _has_variants())
        .distinct()
        .order_by(User.display_name, User.id)
    )
    return [(user_id, name) for user_id, name in session.execute(query)]


def tags_on_sale(session: Session, limit: int = 30) -> list[tuple[str, str]]:
    """(slug, name) of the tags most used in the catalogue: the tag filter."""
    query = (
        select(Tag.slug, Tag.name)
        .join(design_tags, design_tags.c.tag_id == Tag.id)
        .join(Design, Design.id == design_tags.c.design_id)
        .where(Design.state == DesignState.ON_SALE, _has_variants())
        .group_by(Tag.slug, Tag.name)
        .order_by(func.count().desc(), Tag.slug)
        .limit(limit)
    )
    return [(slug, name) for slug, name in session.execute(query)]


def _has_variants() -> ColumnElement[bool]:
    return select(Variant.id).where(Variant.design_id == Design.id).exists()


# --- Labels shared by the product page and the cart ---------------------------------------------


def product_spec(key: str) -> ProductSpec | None:
    return catalogue.get(key) if catalogue.is_product(key) else None


def colour_name(product: str, colour: str) -> str:
    """The colour's name in the reader's language ("" for a product without colours)."""
    spec = product_spec(product)
    if not colour:
        return ""
    try:
        return str(spec.colour(colour).name) if spec else colour
    except KeyError:
        return colour


def size_name(product: str, size: str) -> str:
    spec = product_spec(product)
    found = next((s for s in spec.sizes if s.key == size), None) if spec else None
    return str(found.name) if found else size


def product_name(product: str) -> str:
    spec = product_spec(product)
    return str(spec.name) if spec else product


def variant_label(variant: Variant) -> str:
    """ "T-shirt, black, M": what the variant is, in the reader's language."""
    parts = [
        product_name(variant.product),
        colour_name(variant.product, variant.colour),
        size_name(variant.product, variant.size),
    ]
    return ", ".join(part for part in parts if part)


def stock_label(on_hand: int, low: int) -> str:
    """ "In stock", "Only 3 left" (from `low` units down), or "Sold out"."""
    if on_hand <= 0:
        return _("Sold out")
    if on_hand <= low:
        return ngettext("Only %(num)d left", "Only %(num)d left", on_hand)
    return _("In stock")
