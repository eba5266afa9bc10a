"""Orders, their lines and history, and refunds.

An order copies everything it sold at the moment of purchase (title, variant keys, the
design's creator, the tax-included unit price, the VAT rate, net and tax), so later price
changes, renamed designs or deleted variants never change what was bought. Money is core
`Money` (integer minor units + currency), each amount in its own pair of columns.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocreate.core.db import Base, now_utc
from cocreate.core.enums import enum_column
from cocreate.core.lifecycle import TransitionRecord
from cocreate.core.money import Money, money_checks, money_column


class OrderState(StrEnum):
    #: Placed and its stock reserved; waiting for the gateway to confirm the payment.
    PENDING_PAYMENT = "pending_payment"
    #: The gateway confirmed the payment.
    PAID = "paid"
    #: Shipped, with a tracking number.
    FULFILLED = "fulfilled"
    #: Never paid (declined, cancelled or expired): its stock went back on sale.
    CANCELLED = "cancelled"
    #: Everything paid was given back.
    REFUNDED = "refunded"
    #: Part of what was paid was given back.
    PARTIALLY_REFUNDED = "partially_refunded"


class RefundState(StrEnum):
    #: Recorded and sent to the gateway (through the outbox); not confirmed yet.
    PENDING = "pending"
    #: The gateway confirmed it (at once for the demo, by webhook for Stripe).
    DONE = "done"


class RefundCause(StrEnum):
    #: Staff refunded all or part of the order, with a reason.
    STAFF = "staff"
    #: The payment arrived after the checkout expired and its stock had sold meanwhile.
    LATE_PAYMENT = "late_payment"
    #: A second payment for an order already paid.
    DUPLICATE_PAYMENT = "duplicate_payment"
    #: A payment of another amount than the order's total.
    AMOUNT_MISMATCH = "amount_mismatch"
    #: Refunded at the payment provider directly (its dashboard); learnt from its event.
    PROVIDER = "provider"


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        *money_checks("subtotal"),
        *money_checks("shipping"),
        *money_checks("tax"),
        *money_checks("total"),
        CheckConstraint("length(ship_country) = 2", name="ship_country_code"),
        # What `flask shop release-expired` asks: pending orders whose checkout has ended.
        Index("ix_orders_state_expires_at", "state", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The public number ("CC-7K3F9QXM"): random, so it reveals neither the id nor sales volume.
    number: Mapped[str] = mapped_column(String(16), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    #: None for a guest checkout.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: The buyer's language at checkout: their emails are written in it.
    locale: Mapped[str] = mapped_column(String(10))
    ship_name: Mapped[str] = mapped_column(String(100))
    ship_line1: Mapped[str] = mapped_column(String(120))
    ship_line2: Mapped[str] = mapped_column(String(120), default="")
    ship_city: Mapped[str] = mapped_column(String(80))
    ship_postcode: Mapped[str] = mapped_column(String(16))
    #: ISO 3166 code, one of the SHIPPING_RATES countries at the time of purchase.
    ship_country: Mapped[str] = mapped_column(String(2))
    #: Σ line gross (tax included).
    subtotal: Mapped[Money] = money_column("subtotal")
    #: Tax included.
    shipping: Mapped[Money] = money_column("shipping")
    #: The VAT inside `total`: Σ line tax + the tax inside shipping.
    tax: Mapped[Money] = money_column("tax")
    #: What the buyer pays: subtotal + shipping.
    total: Mapped[Money] = money_column("total")
    state: Mapped[OrderState] = mapped_column(
        enum_column(OrderState, "order_state"), default=OrderState.PENDING_PAYMENT, index=True
    )
    #: The gateway's checkout id (a Stripe Checkout Session id), set once the checkout started.
    checkout_reference: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: The gateway's id of the payment that paid the order (a Stripe PaymentIntent id).
    payment_reference: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: When the checkout stops holding the stock; a pending order past it is released.
    expires_at: Mapped[datetime]
    #: True once the reserved stock went back on sale (exactly once: under the order lock).
    stock_released: Mapped[bool] = mapped_column(default=False)
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=now_utc, index=True)
    paid_at: Mapped[datetime | None]
    fulfilled_at: Mapped[datetime | None]

    lines: Mapped[list[OrderLine]] = relationship(
        cascade="all, delete-orphan", order_by="OrderLine.id", lazy="selectin"
    )
    refunds: Mapped[list[Refund]] = relationship(
        cascade="all, delete-orphan", order_by="Refund.id", lazy="selectin"
    )

    @property
    def currency(self) -> str:
        return self.total.currency

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)


class OrderLine(Base):
    """One variant bought, with what it cost and its tax split, copied at purchase."""

    __tablename__ = "order_lines"
    __table_args__ = (
        *money_checks("unit_price"),
        *money_checks("net"),
        *money_checks("tax"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("vat_rate >= 0 AND vat_rate < 1", name="vat_rate_fraction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    #: No foreign key on purpose: the line stands on its own copies if the variant goes.
    variant_id: Mapped[int] = mapped_column(index=True)
    sku: Mapped[str] = mapped_column(String(100))
    design_id: Mapped[int] = mapped_column(ForeignKey("designs.id"), index=True)
    #: The design's creator when it was bought: royalties accrue to them.
    designer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    product: Mapped[str] = mapped_column(String(32))
    colour: Mapped[str] = mapped_column(String(32))
    size: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int]
    #: Tax included, as shown in the shop.
    unit_price: Mapped[Money] = money_column("unit_price")
    #: The VAT rate of the destination country (0.20 is 20 %).
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    #: Of the line's gross (unit_price × quantity): net + tax == gross, to the cent.
    net: Mapped[Money] = money_column("net")
    tax: Mapped[Money] = money_column("tax")

    @property
    def gross(self) -> Money:
        return self.unit_price * self.quantity


class OrderTransition(TransitionRecord, Base):
    """Audit trail of an order: one row per state change (columns from core's TransitionRecord)."""

    __tablename__ = "order_transitions"
    state_enum = OrderState
    subject_key = "order_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)


class Refund(Base):
    """Money given back for an order: asked by staff (with lines and a reason) or by the shop
    itself (a payment that came too late or twice: see `cause`; no lines, `requested_by_id`
    None).

    Pending until the gateway confirms it. The staff audit log reads these rows: who asked
    (`requested_by_id`), when (`created_at`), why (`reason`) and whether the units went back to
    stock (`restock`)."""

    __tablename__ = "refunds"
    __table_args__ = (
        *money_checks("amount", nonnegative=False),
        CheckConstraint("amount_amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    state: Mapped[RefundState] = mapped_column(
        enum_column(RefundState, "refund_state"), default=RefundState.PENDING
    )
    cause: Mapped[RefundCause] = mapped_column(
        enum_column(RefundCause, "refund_cause"), default=RefundCause.STAFF
    )
    amount: Mapped[Money] = money_column("amount")
    #: Whether this refund gives the shipping back too (only a refund of everything left does).
    includes_shipping: Mapped[bool] = mapped_column(default=False)
    #: Whether its units go back on sale: staff choose per refund (an automatic refund gives back
    #: a payment, no units: False). Added to the variants' stock once, as the refund turns done
    #: (`refunds.restock`), so a refund the gateway never confirms returns nothing.
    restock: Mapped[bool] = mapped_column(default=False)
    #: The payment refunded: the order's, or a second payment of it that is given back.
    payment_reference: Mapped[str] = mapped_column(String(255))
    #: The gateway's refund id, once it answered (a webhook may bring it first).
    gateway_reference: Mapped[str | None] = mapped_column(String(255), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    #: The staff member who asked; None when the shop refunded by itself.
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc, index=True)
    done_at: Mapped[datetime | None]

    lines: Mapped[list[RefundLine]] = relationship(
        cascade="all, delete-orphan", order_by="RefundLine.order_line_id", lazy="selectin"
    )


class RefundLine(Base):
    """How many units of one order line a refund gives back, and their gross, net and tax."""

    __tablename__ = "refund_lines"
    __table_args__ = (
        *money_checks("amount"),
        *money_checks("net"),
        *money_checks("tax"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    refund_id: Mapped[int] = mapped_column(
        ForeignKey("refunds.id", ondelete="CASCADE"), primary_key=True
    )
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), primary_key=True
    )
    quantity: Mapped[int]
    #: unit_price × quantity, tax included; net + tax == amount.
    amount: Mapped[Money] = money_column("amount")
    net: Mapped[Money] = money_column("net")
    tax: Mapped[Money] = money_column("tax")
