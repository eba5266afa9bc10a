"""The cart: what a visitor means to buy, kept until checkout.

An anonymous visitor's cart is found by a random token kept in their signed session cookie; a
member's by their account, so it follows them from device to device. At log-in the anonymous
cart is merged into the member's (`merge_at_login`): accounts sits below the shop and cannot
call it, so `shop.init_app` connects it to Flask-Login's `user_logged_in` signal, which
`accounts.auth.log_in` sends through `login_user` (log-in, sign-up, password reset).

Lines hold variants and quantities, never prices: every page and the checkout read
`Variant.price` afresh, so nothing a form sends can change what is charged. Stock is not
reserved here (checkout does that): a line whose variant sold out meanwhile stays, flagged.

The checkout calls two functions only: `current_cart_lines` and `clear_current_cart`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import flash, g
from flask import session as cookie_session
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import case, delete, select, update
from sqlalchemy.orm import Session

from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.designs.models import Design, DesignState
from cocreate.production.models import Variant
from cocreate.shop.cart_contents import count, lines
from cocreate.shop.cart_models import Cart, CartLine, Owner

#: Where an anonymous visitor's cart token is kept in Flask's signed session cookie.
SESSION_KEY = "shop_cart"


class CartError(Exception):
    """A change the cart refuses; the message is for the visitor."""


# --- Changing a cart ----------------------------------------------------------------------------


def line_cap(stock_on_hand: int, max_quantity: int) -> int:
    """A line holds at most `max_quantity`, and no more than the stock while there is any. A
    sold-out variant is not capped to nothing: its line stays, flagged, so the visitor sees
    what happened instead of an item vanishing."""
    return min(max_quantity, stock_on_hand) if stock_on_hand > 0 else max_quantity


def find_cart(session: Session, owner: Owner) -> Cart | None:
    return session.scalars(select(Cart).where(owner.matches())).one_or_none()


def _cart_id(session: Session, owner: Owner, *, now: datetime) -> int:
    """The owner's cart, made if missing. A member's is inserted with ON CONFLICT DO NOTHING:
    two first adds at once (two tabs) must not both fail on the one-cart-per-member rule."""
    statement = db.upsert_insert(session)(Cart).values(
        user_id=owner.user_id, token=owner.token, created_at=now, updated_at=now
    )
    session.execute(statement.on_conflict_do_nothing())
    cart_id = session.scalar(select(Cart.id).where(owner.matches()))
    assert cart_id is not None  # just inserted, or there already
    session.execute(update(Cart).where(Cart.id == cart_id).values(updated_at=now))
    return cart_id


def _add_to_line(
    session: Session, cart_id: int, variant_id: int, quantity: int, cap: int, *, now: datetime
) -> int:
    """Add `quantity` to the line (made if missing), capped at `cap`, in one statement so two
    adds at once both count; returns the line's quantity."""
    table = CartLine.__table__
    statement = db.upsert_insert(session)(table).values(
        cart_id=cart_id, variant_id=variant_id, quantity=min(quantity, cap), added_at=now
    )
    summed = table.c.quantity + quantity
    statement = statement.on_conflict_do_update(
        index_elements=["cart_id", "variant_id"],
        set_={"quantity": case((summed > cap, cap), else_=summed)},
    ).returning(table.c.quantity)
    return int(session.execute(statement).scalar_one())


def sellable_variant(session: Session, variant_id: int) -> Variant | None:
    """The variant if its design is on sale."""
    return session.scalar(
        select(Variant)
        .join(Design, Design.id == Variant.design_id)
        .where(Variant.id == variant_id, Design.state == DesignState.ON_SALE)
    )


@dataclass(frozen=True)
class Added:
    #: What the line holds now.
    quantity: int
    #: What it would hold without the caps.
    asked: int
    #: The variant's stock when it was added.
    left: int

    def message(self, max_quantity: int) -> str:
        if self.quantity >= self.asked:
            return _("Added to your cart.")
        if self.quantity >= max_quantity:
            return ngettext(
                "Your cart holds %(num)d of this item: the most one order may have.",
                "Your cart holds %(num)d of this item: the most one order may have.",
                self.quantity,
            )
        return ngettext(
            "Only %(num)d of this item is left: your cart holds it.",
            "Only %(num)d of this item are left: your cart holds them all.",
            self.left,
        )


def add(
    session: Session,
    owner: Owner,
    variant_id: int,
    quantity: int,
    *,
    max_quantity: int,
    now: datetime,
) -> Added:
    """Add `quantity` of a variant on sale and in stock; the line is capped by the stock on
    hand and `max_quantity`."""
    variant = sellable_variant(session, variant_id)
    if variant is None:
        raise CartError(_("This item is not for sale."))
    if variant.stock_on_hand <= 0:
        raise CartError(_("Sorry, this item is sold out."))
    cart_id = _cart_id(session, owner, now=now)
    before = session.scalar(
        select(CartLine.quantity).where(
            CartLine.cart_id == cart_id, CartLine.variant_id == variant_id
        )
    )
    cap = line_cap(variant.stock_on_hand, max_quantity)
    held = _add_to_line(session, cart_id, variant_id, quantity, cap, now=now)
    return Added(quantity=held, asked=(before or 0) + quantity, left=variant.stock_on_hand)


def _line(session: Session, owner: Owner, variant_id: int) -> CartLine:
    line = session.scalar(
        select(CartLine)
        .join(Cart, Cart.id == CartLine.cart_id)
        .where(owner.matches(), CartLine.variant_id == variant_id)
    )
    if line is None:
        raise CartError(_("This item is not in your cart."))
    return line


def set_quantity(
    session: Session,
    owner: Owner,
    variant_id: int,
    quantity: int,
    *,
    max_quantity: int,
    now: datetime,
) -> None:
    """Change a line to `quantity` (1 to `max_quantity`), no more than is in stock."""
    if not 1 <= quantity <= max_quantity:
        raise CartError(_("Choose a quantity from 1 to %(max)d.", max=max_quantity))
    line = _line(session, owner, variant_id)
    stock = session.scalar(select(Variant.stock_on_hand).where(Variant.id == variant_id)) or 0
    if quantity > stock:
        if stock <= 0:
            raise CartError(_("This item sold out: remove it from your cart."))
        raise CartError(
            ngettext("Only %(num)d left of this item.", "Only %(num)d left of this item.", stock)
        )
    line.quantity = quantity
    session.execute(update(Cart).where(Cart.id == line.cart_id).values(updated_at=now))
    session.flush()


def remove(session: Session, owner: Owner, variant_id: int, *, now: datetime) -> bool:
    """Take a variant out of the cart; False if it was not there."""
    cart = find_cart(session, owner)
    if cart is None:
        return False
    result = session.execute(
        delete(CartLine).where(CartLine.cart_id == cart.id, CartLine.variant_id == variant_id)
    )
    cart.updated_at = now
    session.flush()
    return bool(getattr(result, "rowcount", 0))


def merge(session: Session, token: str, user_id: int, *, max_quantity: int, now: datetime) -> int:
    """Move the anonymous cart `token` into the member's: quantities of a variant in both are
    added, each line capped by stock and `max_quantity` (`line_cap`). Returns how many lines
    came over; the anonymous cart is deleted."""
    anonymous = find_cart(session, Owner(token=token))
    if anonymous is None:
        return 0
    lines = session.execute(
        select(CartLine.variant_id, CartLine.quantity, Variant.stock_on_hand)
        .join(Variant, Variant.id == CartLine.variant_id)
        .where(CartLine.cart_id == anonymous.id)
        .order_by(CartLine.variant_id)
    ).all()
    if lines:
        member_cart = _cart_id(session, Owner(user_id=user_id), now=now)
        for variant_id, quantity, stock in lines:
            cap = line_cap(stock, max_quantity)
            _add_to_line(session, member_cart, variant_id, quantity, cap, now=now)
    session.execute(delete(Cart).where(Cart.id == anonymous.id))
    session.expunge(anonymous)
    return len(lines)


def purge_abandoned(session: Session, *, now: datetime, days: int) -> int:
    """Delete anonymous carts untouched for `days` (members' carts stay); returns how many."""
    result = session.execute(
        delete(Cart).where(Cart.token.is_not(None), Cart.updated_at < now - timedelta(days=days))
    )
    return int(getattr(result, "rowcount", 0))


# --- The current visitor's cart (request context) --------------------------------------------


def current_owner() -> Owner | None:
    """The visitor's cart owner: the member, or the anonymous token in the cookie (None when
    an anonymous visitor has no cart yet)."""
    if current_user.is_authenticated:
        return Owner(user_id=int(current_user.id))
    token = cookie_session.get(SESSION_KEY)
    return Owner(token=token) if isinstance(token, str) and token else None


def owner_for_change() -> Owner:
    """Like `current_owner`, giving an anonymous visitor a token if they have none yet."""
    owner = current_owner()
    if owner is None:
        token = secrets.token_urlsafe(32)
        cookie_session[SESSION_KEY] = token
        owner = Owner(token=token)
    return owner


def current_cart_lines(session: Session) -> list[tuple[int, int]]:
    """Contract for checkout: (variant id, quantity) of the current visitor's cart (the member's
    or the anonymous session's), by variant id, including lines whose variant sold out or is no
    longer on sale: checkout refuses those with its own message."""
    return lines(session, current_owner())


def clear_current_cart(session: Session) -> None:
    """Contract for checkout: empty the current visitor's cart (its row goes)."""
    owner = current_owner()
    if owner is None:
        return
    session.execute(delete(Cart).where(owner.matches()))
    if owner.token is not None:
        cookie_session.pop(SESSION_KEY, None)


def current_count() -> int:
    """The nav's cart badge (template global): units in the visitor's cart, one query per page
    at most, and none for an anonymous visitor without a cart."""
    if "shop_cart_count" not in g:
        g.shop_cart_count = count(db.session(), current_owner())
    found: int = g.shop_cart_count
    return found


def merge_at_login(_sender: object, user: Any, **_extra: object) -> None:
    """Receiver of Flask-Login's `user_logged_in`: the anonymous cart joins the member's, and
    the cookie stops naming it."""
    token = cookie_session.pop(SESSION_KEY, None)
    if not isinstance(token, str) or not token:
        return
    merged = merge(
        db.session(),
        token,
        int(user.id),
        max_quantity=settings().CART_MAX_QUANTITY,
        now=clock().now(),
    )
    if merged:
        flash(_("The items you chose before logging in are in your cart."), "info")
