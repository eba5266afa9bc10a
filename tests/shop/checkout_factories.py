"""Factories and helpers for the checkout, order and refund tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import factory
from sqlalchemy.orm import Session

from cocreate.config import Config
from cocreate.core.money import Money
from cocreate.designs.models import DesignState
from cocreate.production.models import Variant
from cocreate.shop import checkout
from cocreate.shop.models import Order
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
