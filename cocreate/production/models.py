"""Production runs (what staff have printed, per design) and the sellable variants they stock."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocreate.accounts.models import User
from cocreate.core.db import Base, now_utc
from cocreate.core.enums import enum_column
from cocreate.core.lifecycle import TransitionRecord
from cocreate.core.money import Money, money_checks, money_column
from cocreate.designs.models import Design


class RunState(StrEnum):
    #: Approved and planned: quantities fixed, nothing sent to the print partner yet.
    PLANNED = "planned"
    #: At the print partner.
    PRINTING = "printing"
    #: Delivered: its quantities were added to the variants' stock (once).
    IN_STOCK = "in_stock"
    #: Done with: sold through or written off. Its stock stays with the variants.
    CLOSED = "closed"
    #: Called off before any stock arrived.
    CANCELLED = "cancelled"


class ProductionRun(Base):
    """One print order for one design: its lines (variant × quantity), a retail price per
    product, a note for the print partner, and a state."""

    __tablename__ = "production_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    design_id: Mapped[int] = mapped_column(ForeignKey("designs.id"), index=True)
    state: Mapped[RunState] = mapped_column(
        enum_column(RunState, "run_state"), default=RunState.PLANNED, index=True
    )
    #: Staff's words for the print partner and each other (shown on the spec sheet).
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    #: When the run reached stock (its quantities were added to the variants).
    stocked_at: Mapped[datetime | None]

    design: Mapped[Design] = relationship(lazy="raise_on_sql")
    created_by: Mapped[User] = relationship(lazy="raise_on_sql")
    lines: Mapped[list[RunLine]] = relationship(
        cascade="all, delete-orphan",
        order_by="RunLine.position",
        lazy="selectin",
    )
    prices: Mapped[list[RunPrice]] = relationship(
        cascade="all, delete-orphan", order_by="RunPrice.product", lazy="selectin"
    )

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    def price_of(self, product: str) -> Money:
        for row in self.prices:
            if row.product == product:
                return row.price
        raise KeyError(product)


class RunLine(Base):
    """How many of one variant (product × colour × size) the run prints. Only quantities above
    zero are stored: a zero in the approve grid is "not this one"."""

    __tablename__ = "production_run_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    run_id: Mapped[int] = mapped_column(
        ForeignKey("production_runs.id", ondelete="CASCADE"), primary_key=True
    )
    #: Catalogue keys, like `DesignProduct.product`; colour "" for a product without colours.
    product: Mapped[str] = mapped_column(String(32), primary_key=True)
    colour: Mapped[str] = mapped_column(String(32), primary_key=True)
    size: Mapped[str] = mapped_column(String(16), primary_key=True)
    quantity: Mapped[int]
    #: Catalogue order (product, then colour, then size), for listings and the CSV.
    position: Mapped[int] = mapped_column(default=0)


class RunPrice(Base):
    """The retail price of one product of the run (each of its variants sells at it)."""

    __tablename__ = "production_run_prices"
    __table_args__ = (
        *money_checks("price", nonnegative=False),
        CheckConstraint("price_amount > 0", name="price_amount_positive"),
    )

    run_id: Mapped[int] = mapped_column(
        ForeignKey("production_runs.id", ondelete="CASCADE"), primary_key=True
    )
    product: Mapped[str] = mapped_column(String(32), primary_key=True)
    price: Mapped[Money] = money_column("price")


class RunTransition(TransitionRecord, Base):
    """Audit trail of a run: one row per state change (columns from core's TransitionRecord)."""

    __tablename__ = "production_run_transitions"
    state_enum = RunState
    subject_key = "run_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("production_runs.id", ondelete="CASCADE"), index=True
    )

    actor: Mapped[User | None] = relationship(lazy="selectin")


class Variant(Base):
    """A sellable item: one design on one product, in one colour and size, with its stock.

    Production creates or restocks variants when a run reaches stock (`services.restock`,
    `stock_on_hand = stock_on_hand + q` in SQL). The shop reserves from `stock_on_hand` in the
    same atomic way (`… - q WHERE stock_on_hand >= q`) and never sells below zero: the CHECK
    refuses it even if a query forgets.
    """

    __tablename__ = "variants"
    __table_args__ = (
        UniqueConstraint("design_id", "product", "colour", "size"),
        CheckConstraint("stock_on_hand >= 0", name="stock_on_hand_nonnegative"),
        *money_checks("price"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    design_id: Mapped[int] = mapped_column(ForeignKey("designs.id"))
    product: Mapped[str] = mapped_column(String(32))
    #: "" for a product without colours.
    colour: Mapped[str] = mapped_column(String(32))
    size: Mapped[str] = mapped_column(String(16))
    #: Readable and stable, made from the four keys (`services.sku`): "D00042-TEE-BLACK-M".
    sku: Mapped[str] = mapped_column(String(100), unique=True)
    stock_on_hand: Mapped[int] = mapped_column(default=0)
    #: The retail price of the latest run that stocked it.
    price: Mapped[Money] = money_column("price")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)
