"""Carts: what a visitor means to buy. Lines name variants and quantities only, never prices:
prices are read from `Variant.price` whenever a cart is shown or checked out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, ColumnElement, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocreate.core.db import Base, now_utc


class Cart(Base):
    """A member's cart (`user_id`, one per member) or an anonymous visitor's (`token`, the
    random value kept in their signed session cookie). Exactly one of the two is set.

    Anonymous carts are found by a random token rather than by their id: ids can be reused
    once a row is deleted (SQLite reuses the highest), and a stale cookie must never open
    someone else's cart.
    """

    __tablename__ = "carts"
    __table_args__ = (CheckConstraint("(user_id IS NULL) <> (token IS NULL)", name="one_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    #: Last change to the cart or its lines: abandoned anonymous carts are purged by it.
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, index=True)

    lines: Mapped[list[CartLine]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="CartLine.variant_id"
    )


class CartLine(Base):
    """One variant in a cart, once, with how many."""

    __tablename__ = "cart_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    cart_id: Mapped[int] = mapped_column(
        ForeignKey("carts.id", ondelete="CASCADE"), primary_key=True
    )
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variants.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    quantity: Mapped[int]
    added_at: Mapped[datetime] = mapped_column(default=now_utc)


@dataclass(frozen=True)
class Owner:
    """Whose cart: a member's (`user_id`) or an anonymous visitor's (`token`)."""

    user_id: int | None = None
    token: str | None = None

    def matches(self) -> ColumnElement[bool]:
        if self.user_id is not None:
            return Cart.user_id == self.user_id
        return Cart.token == self.token
