"""The demo gateway: an in-app payment page where the buyer chooses what happens. No money moves.

It drives the shop exactly as Stripe's webhooks do (payment_succeeded, payment_failed,
checkout_expired through cocreate/shop/payment_events.py), so a demo order goes through the
same states, stock moves and emails as a real one. Settings validation refuses it in
production.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.core.clock import clock
from cocreate.core.money import Money
from cocreate.payments.models import DemoCheckout, DemoState
from cocreate.payments.shop_link import ShopEvents
from cocreate.shop.gateway import CheckoutRequest, CheckoutStarted, RefundStarted


def new_reference(kind: str) -> str:
    return f"demo_{kind}{secrets.token_urlsafe(18)}"


class DemoGateway:
    name = "demo"

    def __init__(self, session: Callable[[], Session]) -> None:
        #: The current request's (or job's) session: the checkout is stored with the order.
        self._session = session

    def start_checkout(self, request: CheckoutRequest) -> CheckoutStarted:
        total = Money.sum(
            (line.unit_price * line.quantity for line in request.lines),
            request.shipping.currency,
        )
        checkout = DemoCheckout(
            reference=new_reference(""),
            order_number=request.order_number,
            amount=total + request.shipping,
            success_url=request.success_url,
            cancel_url=request.cancel_url,
            expires_at=request.expires_at,
            state=DemoState.OPEN,
            created_at=clock().now(),
        )
        session = self._session()
        session.add(checkout)
        session.flush()
        return CheckoutStarted(
            reference=checkout.reference,
            redirect_url=url_for("payments.demo_checkout", reference=checkout.reference),
        )

    def refund(
        self, *, payment_reference: str, amount: Money, idempotency_key: str
    ) -> RefundStarted:
        # Nothing to give back: the demo settles at once, so the shop records it now.
        return RefundStarted(reference=new_reference("re_"), confirmed=True)

    def cancel_checkout(self, reference: str) -> None:
        checkout = _locked(self._session(), reference)
        if checkout is not None and checkout.state is DemoState.OPEN:
            checkout.state = DemoState.CANCELLED
            checkout.decided_at = clock().now()
            self._session().flush()


class Choice(StrEnum):
    SUCCESS = "success"
    DECLINE = "decline"
    CANCEL = "cancel"


class Closed(Exception):
    """The checkout no longer takes a choice: decided before, or past its end."""


def _locked(session: Session, reference: str) -> DemoCheckout | None:
    return session.scalars(
        select(DemoCheckout).where(DemoCheckout.reference == reference).with_for_update()
    ).first()


def find(session: Session, reference: str) -> DemoCheckout | None:
    return session.get(DemoCheckout, reference)


def is_open(checkout: DemoCheckout, now: datetime) -> bool:
    return checkout.state is DemoState.OPEN and now < checkout.expires_at


def decide(
    session: Session, reference: str, choice: Choice, *, shop: ShopEvents, now: datetime
) -> str:
    """Apply the buyer's choice to the order; returns where to send the buyer. Raises Closed,
    or LookupError when the checkout or its order does not exist."""
    checkout = _locked(session, reference)
    if checkout is None:
        raise LookupError(reference)
    if not is_open(checkout, now):
        raise Closed(reference)
    order = shop.order_for_checkout(session, reference)
    if order is None:
        raise LookupError(reference)
    checkout.decided_at = now
    match choice:
        case Choice.SUCCESS:
            checkout.state = DemoState.PAID
            checkout.payment_reference = new_reference("pay_")
            shop.payment_succeeded(
                session,
                order,
                payment_reference=checkout.payment_reference,
                amount=checkout.amount,
                at=now,
            )
            destination = checkout.success_url
        case Choice.DECLINE:
            checkout.state = DemoState.DECLINED
            shop.payment_failed(session, order, at=now)
            destination = checkout.cancel_url
        case Choice.CANCEL:
            checkout.state = DemoState.CANCELLED
            shop.checkout_expired(session, order, at=now)
            destination = checkout.cancel_url
    session.flush()
    return destination
