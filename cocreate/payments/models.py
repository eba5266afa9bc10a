"""What payments stores: the demo gateway's checkouts, and every Stripe event received."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cocreate.core.db import Base, now_utc
from cocreate.core.enums import enum_column
from cocreate.core.money import Money, money_checks, money_column


class DemoState(StrEnum):
    OPEN = "open"
    PAID = "paid"
    DECLINED = "declined"
    #: The buyer cancelled on the demo page, or the shop cancelled the checkout (expiry).
    CANCELLED = "cancelled"


class DemoCheckout(Base):
    """A checkout of the demo gateway: what the in-app payment page shows and where it returns."""

    __tablename__ = "demo_checkouts"
    __table_args__ = (*money_checks("amount"),)

    #: "demo_…", random: knowing it is what lets a visitor open the page (as with Stripe).
    reference: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_number: Mapped[str] = mapped_column(String(64), index=True)
    amount: Mapped[Money] = money_column("amount")
    success_url: Mapped[str] = mapped_column(Text)
    cancel_url: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
    state: Mapped[DemoState] = mapped_column(
        enum_column(DemoState, "demo_checkout_state"), default=DemoState.OPEN
    )
    #: The demo's payment id once paid ("demo_pay_…"): the shop's payment reference.
    payment_reference: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    decided_at: Mapped[datetime | None]


class StripeEvent(Base):
    """One Stripe event, stored by its id before it is applied: a second delivery of the same
    id (Stripe retries, and does not de-duplicate) finds it and changes nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    #: When Stripe created the event (its `created`).
    created: Mapped[datetime]
    #: The event as Stripe sent it.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The payment intent the event is about, when it names one: a refund event finds its
    #: order through the checkout event that paid with the same payment intent.
    payment_intent: Mapped[str | None] = mapped_column(String(255), index=True)
    #: The order it was applied to (None while no order matched).
    order_number: Mapped[str | None] = mapped_column(String(64), index=True)
    #: "webhook" or "reconcile": how it reached us.
    source: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(default=now_utc)
    #: None while the event waits (a refund whose payment has not been seen yet).
    processed_at: Mapped[datetime | None]
    #: What applying it did (webhooks.Outcome), for staff reading the table.
    outcome: Mapped[str] = mapped_column(String(32), default="")
