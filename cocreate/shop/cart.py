"""A throwaway stand-in for the catalog helper's cart (the coordinator keeps theirs): the two
functions checkout calls, over a cart kept in the visitor's signed session cookie."""

from __future__ import annotations

from flask import session as cookie_session
from sqlalchemy.orm import Session

KEY = "cart"


def current_cart_lines(session: Session) -> list[tuple[int, int]]:
    """(variant id, quantity) of the current visitor's cart."""
    stored = cookie_session.get(KEY) or {}
    return [(int(variant_id), int(quantity)) for variant_id, quantity in stored.items()]


def clear_current_cart(session: Session) -> None:
    cookie_session.pop(KEY, None)
