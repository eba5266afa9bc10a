"""Orders as their buyers see them: public numbers, who may see an order, the signed link a
guest gets, a member's list, and the links emails carry."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

from flask import current_app, has_request_context
from itsdangerous import BadSignature, Signer
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core import mail
from cocreate.core.money import Money
from cocreate.shop.models import Order, Refund, RefundState

#: No 0/O or 1/I: numbers get read aloud and typed from emails.
NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
NUMBER_LENGTH = 8
NUMBER_PREFIX = "CC-"
NUMBER_FORM = re.compile(rf"{NUMBER_PREFIX}[{NUMBER_ALPHABET}]{{{NUMBER_LENGTH}}}")
LINK_SALT = "cocreate.order-link"
#: How many orders a member's list shows.
LIST_SIZE = 100


def random_number() -> str:
    """32^8 ≈ 10^12 numbers: unguessable enough that an order count leaks nothing, and a
    clash (checked anyway) is rare."""
    return NUMBER_PREFIX + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_LENGTH))


def new_number(session: Session, draw: Callable[[], str] = random_number) -> str:
    """A number no order has yet."""
    while True:
        number = draw()
        if session.scalar(select(Order.id).where(Order.number == number)) is None:
            return number


def is_number(text: str) -> bool:
    return NUMBER_FORM.fullmatch(text) is not None


def by_number(session: Session, number: str) -> Order | None:
    if not is_number(number):
        return None
    return session.scalar(select(Order).where(Order.number == number))


def may_see(order: Order, user: Any) -> bool:
    """The member who placed it, or staff. Guests use their signed link instead."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff) or order.user_id == user.id


def member_orders(session: Session, user: User) -> list[Order]:
    return list(
        session.scalars(
            select(Order)
            .where(Order.user_id == user.id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(LIST_SIZE)
        )
    )


# --- Guests' signed links ----------------------------------------------------------------------


def _signer() -> Signer:
    return Signer(settings().SECRET_KEY, salt=LINK_SALT)


def _signed_value(order: Order) -> bytes:
    # The address is signed too: the link is for the person the order's emails go to.
    return f"{order.number}:{order.email}".encode()


def link_token(order: Order) -> str:
    return _signer().get_signature(_signed_value(order)).decode()


def token_matches(order: Order, token: str) -> bool:
    try:
        return _signer().verify_signature(_signed_value(order), token.encode())
    except BadSignature:  # a token of the wrong shape
        return False


# --- Amounts a buyer sees ----------------------------------------------------------------------


def refunded(order: Order, *, state: RefundState | None = RefundState.DONE) -> Money:
    """What was given back (or asked back, with `state` None) of the order's own payment."""
    return Money.sum(
        (
            r.amount
            for r in order.refunds
            if r.payment_reference == order.payment_reference and state in (None, r.state)
        ),
        order.currency,
    )


def done_refunds(order: Order) -> list[Refund]:
    return [r for r in order.refunds if r.state is RefundState.DONE]


# --- Links in emails ---------------------------------------------------------------------------


def _absolute(endpoint: str, **values: Any) -> str:
    """An absolute link, in a request or not (refunds are confirmed from the outbox)."""
    if has_request_context():
        return mail.public_url(endpoint, **values)
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return settings().PUBLIC_URL.rstrip("/") + path


def order_link(order: Order) -> str:
    """Where the buyer sees the order: a member's page, or a guest's signed link."""
    if order.user_id is not None:
        return _absolute("checkout.order", number=order.number)
    return _absolute("checkout.guest_order", number=order.number, token=link_token(order))
