"""Checkout: pricing a cart on the server, placing the order with its stock reserved, and
starting the gateway's checkout for it.

Nothing the buyer's browser sends is trusted but the variant ids and quantities of their cart
and the address: prices come from the variants (locked while the order is placed), shipping
from SHIPPING_RATES, VAT from VAT_RATES. Prices are tax-included (EU): each line's gross is
split into net and tax once, half-even (core.money.net_from_gross), so net + tax is exactly
what the buyer pays for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.config import Config
from cocreate.core.money import Money, net_from_gross
from cocreate.designs.models import Design, DesignState
from cocreate.production.models import Variant
from cocreate.shop import orders, reservations
from cocreate.shop.gateway import CheckoutLine, CheckoutRequest, CheckoutStarted, PaymentGateway
from cocreate.shop.items import item_name
from cocreate.shop.models import Order, OrderLine

#: Units of one variant a single order may hold (a typo guard; stock is the real limit).
MAX_QUANTITY = 20


class CheckoutError(Exception):
    """The order cannot be placed; `str()` is a message for the buyer."""


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    line2: str
    city: str
    postcode: str
    #: ISO 3166 code.
    country: str


@dataclass(frozen=True)
class Buyer:
    email: str
    #: None for a guest.
    user_id: int | None
    locale: str


@dataclass(frozen=True)
class PricedLine:
    variant: Variant
    design: Design
    quantity: int
    vat_rate: Decimal
    net: Money
    tax: Money

    @property
    def gross(self) -> Money:
        return self.variant.price * self.quantity

    @property
    def name(self) -> str:
        v = self.variant
        return item_name(self.design.title, v.product, v.colour, v.size)


@dataclass(frozen=True)
class Quote:
    """What an order costs, computed on the server."""

    lines: tuple[PricedLine, ...]
    subtotal: Money
    shipping: Money
    #: The VAT inside the total: the lines' and the shipping's.
    tax: Money
    total: Money


def wanted_quantities(cart_lines: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Variant id → units, from the cart's (variant id, quantity) pairs (one variant listed
    twice counts once, its quantities added). Refuses an empty cart or a bad quantity."""
    wanted: dict[int, int] = {}
    for variant_id, quantity in cart_lines:
        wanted[variant_id] = wanted.get(variant_id, 0) + quantity
    if not wanted:
        raise CheckoutError(_("Your cart is empty."))
    for quantity in wanted.values():
        if not 1 <= quantity <= MAX_QUANTITY:
            raise CheckoutError(
                _("Each item can be ordered %(max)d times at most per order.", max=MAX_QUANTITY)
            )
    return wanted


def ships_to(country: str, config: Config) -> bool:
    return country in config.SHIPPING_RATES


def shipping_cost(country: str, config: Config) -> Money:
    return Money(config.SHIPPING_RATES[country], config.CURRENCY)


def price_lines(
    variants: Mapping[int, tuple[Variant, Design]],
    wanted: Mapping[int, int],
    country: str,
    config: Config,
) -> Quote:
    """Price `wanted` (variant id → units) for delivery to `country`, from the variants' own
    prices. Raises CheckoutError for a variant that is gone or no longer on sale."""
    rate = config.VAT_RATES[country]
    shipping = shipping_cost(country, config)
    priced = []
    for variant_id, quantity in wanted.items():
        found = variants.get(variant_id)
        if found is None:
            raise CheckoutError(
                _("An item in your cart is no longer sold: please remove it from your cart.")
            )
        variant, design = found
        if design.state is not DesignState.ON_SALE or variant.price.currency != config.CURRENCY:
            name = item_name(design.title, variant.product, variant.colour, variant.size)
            raise CheckoutError(
                _("%(item)s is no longer on sale: please remove it from your cart.", item=name)
            )
        net, tax = net_from_gross(variant.price * quantity, rate)
        priced.append(PricedLine(variant, design, quantity, rate, net, tax))
    subtotal = Money.sum((line.gross for line in priced), config.CURRENCY)
    _shipping_net, shipping_tax = net_from_gross(shipping, rate)
    tax = Money.sum((line.tax for line in priced), config.CURRENCY) + shipping_tax
    return Quote(tuple(priced), subtotal, shipping, tax, subtotal + shipping)


def load_variants(
    session: Session, variant_ids: Iterable[int]
) -> dict[int, tuple[Variant, Design]]:
    """The variants with their designs."""
    rows = session.execute(
        select(Variant, Design)
        .join(Design)  # on variants.design_id, the one foreign key between them
        .where(Variant.id.in_(sorted(set(variant_ids))))
    ).all()
    return {variant.id: (variant, design) for variant, design in rows}


def quote(
    session: Session, cart_lines: Iterable[tuple[int, int]], country: str, config: Config
) -> Quote:
    """The cart's prices for the checkout page (the order is priced again when placed)."""
    wanted = wanted_quantities(cart_lines)
    return price_lines(load_variants(session, wanted), wanted, country, config)


def place_order(
    session: Session,
    cart_lines: Iterable[tuple[int, int]],
    *,
    address: Address,
    buyer: Buyer,
    now: datetime,
    config: Config,
) -> Order:
    """Reserve the cart's stock and create the pending order with its lines (flushed).

    All or nothing: a sold-out item (SoldOut, naming it) or an item no longer on sale
    (CheckoutError) leaves no stock taken and no order. Prices are read from the variants
    under the reservation's row locks, so they are the ones charged.
    """
    wanted = wanted_quantities(cart_lines)
    if not ships_to(address.country, config):
        raise CheckoutError(_("We do not ship to this country."))
    with session.begin_nested():
        reservations.reserve(session, wanted)
        priced = price_lines(load_variants(session, wanted), wanted, address.country, config)
        order = Order(
            number=orders.new_number(session),
            email=buyer.email,
            user_id=buyer.user_id,
            locale=buyer.locale,
            ship_name=address.name,
            ship_line1=address.line1,
            ship_line2=address.line2,
            ship_city=address.city,
            ship_postcode=address.postcode,
            ship_country=address.country,
            subtotal=priced.subtotal,
            shipping=priced.shipping,
            tax=priced.tax,
            total=priced.total,
            expires_at=reservations.expires_at(now, config.CHECKOUT_MINUTES),
            created_at=now,
            lines=[order_line(line) for line in priced.lines],
        )
        session.add(order)
        session.flush()
    return order


def order_line(line: PricedLine) -> OrderLine:
    """The order line of a priced line: everything copied as it is now."""
    variant, design = line.variant, line.design
    return OrderLine(
        variant_id=variant.id,
        sku=variant.sku,
        design_id=design.id,
        designer_id=design.designer_id,
        title=design.title,
        product=variant.product,
        colour=variant.colour,
        size=variant.size,
        quantity=line.quantity,
        unit_price=variant.price,
        vat_rate=line.vat_rate,
        net=line.net,
        tax=line.tax,
    )


def checkout_request(order: Order, *, success_url: str, cancel_url: str) -> CheckoutRequest:
    """What the gateway charges: the order's own lines and shipping, never the browser's."""
    return CheckoutRequest(
        order_number=order.number,
        lines=tuple(
            CheckoutLine(
                name=item_name(line.title, line.product, line.colour, line.size),
                unit_price=line.unit_price,
                quantity=line.quantity,
            )
            for line in order.lines
        ),
        shipping=order.shipping,
        customer_email=order.email,
        success_url=success_url,
        cancel_url=cancel_url,
        expires_at=order.expires_at,
        locale=order.locale,
    )


def start_payment(
    session: Session,
    order: Order,
    gateway: PaymentGateway,
    *,
    success_url: str,
    cancel_url: str,
) -> CheckoutStarted:
    """Open the gateway's checkout for a placed order and remember its reference. The
    gateway's errors propagate: the caller rolls back, which also undoes the reservation."""
    started = gateway.start_checkout(
        checkout_request(order, success_url=success_url, cancel_url=cancel_url)
    )
    order.checkout_reference = started.reference
    session.flush()
    return started
