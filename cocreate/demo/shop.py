"""Demo orders: a few hundred paid orders over the last months on the designs on sale, most of
the older ones shipped, some refunded in full or in part, a few abandoned checkouts.

Written in bulk (two flushes), priced by the real checkout rules (server prices, VAT per line)
and refunded by the real refund rules, with their history rows dated to fit. The stock is left
as the production seed made it: that seed already counts these sales as sold.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import Config
from cocreate.core.db import now_utc
from cocreate.designs.models import Design, DesignState
from cocreate.production.models import Variant
from cocreate.shop import checkout, orders, refunds
from cocreate.shop.models import (
    Order,
    OrderState,
    OrderTransition,
    Refund,
    RefundCause,
    RefundLine,
    RefundState,
)

S = OrderState
#: Where demo parcels go: mostly France, as the demo's buyers.
COUNTRIES = ["FR"] * 6 + ["BE", "DE", "NL", "ES", "IT", "LU", "IE"]
STREETS = ["rue des Lilas", "avenue Jean Jaurès", "Hauptstraße", "Kerkstraat", "calle Mayor"]
CITIES = {
    "FR": ["Lyon", "Paris", "Nantes", "Lille"],
    "BE": ["Bruxelles", "Gent"],
    "DE": ["Berlin", "Köln"],
    "NL": ["Utrecht", "Rotterdam"],
    "ES": ["Madrid", "Valencia"],
    "IT": ["Bologna", "Torino"],
    "LU": ["Luxembourg"],
    "IE": ["Dublin", "Cork"],
}
REASONS = [
    "The print cracked after the first wash.",
    "Wrong size sent by the print partner.",
    "Parcel lost by the carrier.",
    "Customer changed their mind within the return window.",
]
GUEST_EMAILS = [f"guest{n}@demo.cocreate.test" for n in range(1, 41)]


def _when(rng: random.Random, earliest: datetime, latest: datetime) -> datetime:
    span = max((latest - earliest).total_seconds(), 60.0)
    return earliest + timedelta(seconds=rng.uniform(0, span))


def _order(
    rng: random.Random,
    variants: dict[int, tuple[Variant, Design]],
    buyer: User | None,
    config: Config,
    now: datetime,
    numbers: set[str],
) -> Order:
    chosen = rng.sample(sorted(variants), k=min(len(variants), rng.choice([1, 1, 1, 2, 2, 3])))
    wanted = {variant_id: rng.choice([1, 1, 1, 2]) for variant_id in chosen}
    country = rng.choice(COUNTRIES)
    priced = checkout.price_lines(variants, wanted, country, config)
    on_sale_since = max(variants[v][0].created_at for v in chosen)
    created = _when(rng, max(on_sale_since, now - timedelta(days=150)), now - timedelta(hours=2))
    number = orders.random_number()
    while number in numbers:
        number = orders.random_number()
    numbers.add(number)
    name = buyer.display_name if buyer else rng.choice(["Alex Durand", "Robin Meyer", "Sacha Roux"])
    return Order(
        number=number,
        email=buyer.email if buyer else rng.choice(GUEST_EMAILS),
        user_id=buyer.id if buyer else None,
        locale=(buyer.locale if buyer else None) or "en",
        ship_name=name,
        ship_line1=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
        ship_line2="",
        ship_city=rng.choice(CITIES[country]),
        ship_postcode=f"{rng.randint(10000, 99999)}",
        ship_country=country,
        subtotal=priced.subtotal,
        shipping=priced.shipping,
        tax=priced.tax,
        total=priced.total,
        expires_at=created + timedelta(minutes=config.CHECKOUT_MINUTES),
        created_at=created,
        lines=[checkout.order_line(line) for line in priced.lines],
    )


def _move(
    order: Order, to: OrderState, at: datetime, actor: User | None = None, reason: str = ""
) -> OrderTransition:
    row = OrderTransition(
        order_id=order.id,
        actor_id=actor.id if actor else None,
        from_state=order.state,
        to_state=to,
        reason=reason,
        created_at=at,
    )
    order.state = to
    return row


def _refund(
    rng: random.Random, order: Order, staff: User, at: datetime, *, whole: bool
) -> tuple[Refund, OrderTransition]:
    first = order.lines[0]
    plan = refunds.plan_refund(order, {first.id: 1}, whole=whole)
    refund = Refund(
        order_id=order.id,
        cause=RefundCause.STAFF,
        state=RefundState.DONE,
        amount=plan.amount,
        includes_shipping=plan.includes_shipping,
        payment_reference=order.payment_reference or "",
        gateway_reference=f"demo_re_{order.number}",
        reason=rng.choice(REASONS),
        requested_by_id=staff.id,
        created_at=at,
        done_at=at + timedelta(minutes=1),
        lines=[
            RefundLine(
                order_line_id=p.line.id, quantity=p.quantity, amount=p.amount, net=p.net, tax=p.tax
            )
            for p in plan.lines
        ],
    )
    fully = plan.amount == order.total
    to = S.REFUNDED if fully else S.PARTIALLY_REFUNDED
    return refund, _move(order, to, at + timedelta(minutes=1))


def seed_shop(
    session: Session,
    rng: random.Random,
    customers: list[User],
    staff: User,
    config: Config,
    count: int = 300,
) -> list[Order]:
    """`count` orders by the demo customers (and guests) of the variants on sale."""
    rows = session.execute(
        select(Variant, Design)
        .join(Design, Design.id == Variant.design_id)
        .where(Design.state == DesignState.ON_SALE)
    ).all()
    variants = {
        row[0].id: (row[0], row[1]) for row in rows if row[0].price.currency == config.CURRENCY
    }
    if not variants:
        return []
    now = now_utc()
    numbers: set[str] = set()
    made = []
    for index in range(count):
        buyer = rng.choice(customers) if customers and rng.random() < 0.7 else None
        if index < 12 and customers:
            buyer = customers[0]  # the demo's "sam" has a history to look at
        made.append(_order(rng, variants, buyer, config, now, numbers))
    session.add_all(made)
    session.flush()  # ids for the history and refund lines
    history: list[OrderTransition] = []
    for order in made:
        if rng.random() < 0.04:  # abandoned at the payment page
            history.append(_move(order, S.CANCELLED, order.expires_at, reason="checkout expired"))
            order.stock_released = True
            continue
        paid_at = order.created_at + timedelta(minutes=rng.randint(1, 9))
        order.paid_at = paid_at
        order.payment_reference = f"demo_pi_{order.number}"
        order.checkout_reference = f"demo_cs_{order.number}"
        history.append(_move(order, S.PAID, paid_at))
        age = now - paid_at
        if age > timedelta(days=3) and rng.random() < 0.85:
            shipped = paid_at + timedelta(hours=rng.randint(20, 70))
            order.fulfilled_at = shipped
            order.tracking_number = f"DEMO{rng.randint(10**9, 10**10 - 1)}"
            history.append(_move(order, S.FULFILLED, shipped, staff))
            if age > timedelta(days=10) and rng.random() < 0.12:
                at = shipped + timedelta(days=rng.randint(3, 9))
                refund, move = _refund(rng, order, staff, at, whole=rng.random() < 0.5)
                order.refunds.append(refund)
                history.append(move)
    session.add_all(history)
    session.flush()
    return made
