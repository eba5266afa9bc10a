"""Factories and helpers for the checkout, order and refund tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import factory
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.config import Config
from cocreate.core.money import Money
from cocreate.designs.models import DesignState
from cocreate.production.models import Variant
from cocreate.shop import checkout, payment_events
from cocreate.shop.models import Order, OrderState
from tests.accounts.factories import BaseFactory
from tests.designs.factories import DesignFactory

ADDRESS = checkout.Address(
    name="Camille Martin",
    line1="12 rue des Lilas",
    line2="",
    city="Lyon",
    postcode="69003",
    country="FR",
)


class VariantFactory(BaseFactory):
    """A black M tee of a design on sale, at 25.00 EUR, 10 in stock."""

    class Meta:
        model = Variant
        exclude = ("design",)

    design = factory.SubFactory(DesignFactory, state=DesignState.ON_SALE)
    design_id = factory.SelfAttribute("design.id")
    product = "tee"
    colour = "black"
    size = "M"
    sku = factory.Sequence(lambda n: f"D{n:05d}-TEE-BLACK-M")
    stock_on_hand = 10
    price = Money(2500, "EUR")


def place(
    session: Session,
    config: Config,
    lines: Sequence[tuple[Variant, int]],
    *,
    now: datetime,
    email: str = "buyer@example.test",
    user_id: int | None = None,
    address: checkout.Address = ADDRESS,
    locale: str = "en",
) -> Order:
    """Place an order for `lines` as the checkout page does (without the gateway)."""
    return checkout.place_order(
        session,
        [(variant.id, quantity) for variant, quantity in lines],
        address=address,
        buyer=checkout.Buyer(email=email, user_id=user_id, locale=locale),
        now=now,
        config=config,
    )


def tee_and_tote(
    *, tee_price: int = 2500, tee_stock: int = 10, tote_stock: int = 10
) -> tuple[Variant, Variant]:
    """A black M tee of the design "Tee" and an 18.00 natural tote of the design "Tote"."""
    tee = VariantFactory(
        price=Money(tee_price, "EUR"), stock_on_hand=tee_stock, design__title="Tee"
    )
    tote = VariantFactory(
        price=Money(1800, "EUR"),
        stock_on_hand=tote_stock,
        product="tote",
        colour="natural",
        size="one-size",
        design__title="Tote",
    )
    return tee, tote


def paid_by_the_gateway(
    session: Session, config: Config, *, now: datetime, tee_stock: int = 10, tote_stock: int = 10
) -> Order:
    """3 × 19.99 tee + 1 × 18.00 tote to France (shipping 4.90): 82.87, paid through the
    payment event the gateway sends."""
    tee, tote = tee_and_tote(tee_price=1999, tee_stock=tee_stock, tote_stock=tote_stock)
    order = place(session, config, [(tee, 3), (tote, 1)], now=now)
    payment_events.payment_succeeded(
        session, order, payment_reference="pi_1", amount=Money(8287, "EUR"), at=now
    )
    return order


def paid_by_hand(
    session: Session,
    config: Config,
    *,
    now: datetime,
    tee_stock: int = 10,
    tote_stock: int = 10,
    email: str = "buyer@example.test",
) -> Order:
    """2 × 25.00 tee + 1 × 18.00 tote to France: 72.90, marked paid and committed (for page
    tests)."""
    tee, tote = tee_and_tote(tee_stock=tee_stock, tote_stock=tote_stock)
    order = place(session, config, [(tee, 2), (tote, 1)], now=now, email=email)
    order.state = OrderState.PAID
    order.payment_reference = f"pi_{order.id}"
    order.paid_at = now
    session.commit()
    return order


def line_ids(order: Order) -> tuple[int, int]:
    """The ids of a tee-and-tote order's lines."""
    tee, tote = order.lines
    return tee.id, tote.id


def stock_of(session: Session, order: Order) -> tuple[int, ...]:
    """Stock on hand of the order's variants, in the order of its lines (from the database)."""
    found = {v: stock for v, stock in session.execute(select(Variant.id, Variant.stock_on_hand))}
    return tuple(found[line.variant_id] for line in order.lines)
