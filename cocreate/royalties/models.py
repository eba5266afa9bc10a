"""The royalty ledger, its rules, monthly periods and statements, and payouts (DESIGN.md
"Royalties").

The ledger is double-entry and append-only. A `LedgerTransaction` is one event (an order line
paid, units refunded, an award, a staff adjustment, earnings clearing, a payout); its
`LedgerEntry` legs move money between accounts and sum to zero. Amounts are signed minor units;
a creator account's balance is the sum of its legs, positive when the shop owes the creator:

    accrual      creator_pending +X     royalty_expense -X
    reversal     creator_pending -X     royalty_expense +X   (creator_cleared once cleared)
    award        creator_cleared +A     royalty_expense -A
    adjustment   creator_cleared ±A     royalty_expense ∓A
    clearing     creator_pending -X     creator_cleared +X
    payout       creator_cleared -P     payouts_in_transit +P   (the payout is sent)
    payout       payouts_in_transit -P  cash +P                 (the transfer arrived)
    payout       payouts_in_transit -P  creator_cleared +P      (the transfer failed)

Nothing here is updated or deleted once written: `ledger.post` is the only writer, a flush
guard refuses changes, and on PostgreSQL a trigger refuses UPDATE and DELETE too.

Every transaction and leg carries the `period` ("2026-10") of the statement it belongs to:
the month it happened in, or the first open month after it when that month is closed. Legs
repeat their transaction's creator and period so statements and checks aggregate one table.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocreate.core.db import Base, now_utc
from cocreate.core.enums import enum_column
from cocreate.core.lifecycle import TransitionRecord
from cocreate.core.money import Money, money_checks, money_column

#: A period's key: the calendar month in UTC, "YYYY-MM".
PERIOD_LENGTH = 7


class Account(StrEnum):
    #: What royalties cost the shop (the counterpart of every accrual, award and adjustment).
    ROYALTY_EXPENSE = "royalty_expense"
    #: Earned by a creator, still inside the return window: not payable yet.
    CREATOR_PENDING = "creator_pending"
    #: Earned by a creator, past the return window: payable.
    CREATOR_CLEARED = "creator_cleared"
    #: Sent to a creator, not confirmed arrived.
    PAYOUTS_IN_TRANSIT = "payouts_in_transit"
    #: The shop's money that left for creators.
    CASH = "cash"


#: The accounts that belong to one creator (their legs carry `creator_id`).
CREATOR_ACCOUNTS = (Account.CREATOR_PENDING, Account.CREATOR_CLEARED)


class Kind(StrEnum):
    ACCRUAL = "accrual"
    REVERSAL = "reversal"
    AWARD = "award"
    ADJUSTMENT = "adjustment"
    CLEARING = "clearing"
    PAYOUT = "payout"


class LedgerTransaction(Base):
    """One ledger event for one creator. Its source is on the columns that apply to its kind:

    - accrual: `order_line_id` (+ `design_id`, `schedule_id`, `units`; pieces by tier);
    - reversal: `order_line_id`, `refund_id` (None when a whole order was refunded at the
      provider without lines), `related_id` the accrual it reverses, `units`; pieces by tier;
    - award: `design_id`, `schedule_id`;
    - adjustment: `actor_id`, `memo` (the reason, required), `design_id` optional;
    - clearing: `related_id` the accrual it clears (at most one clearing per accrual);
    - payout: `payout_id`.
    """

    __tablename__ = "ledger_transactions"
    __table_args__ = (
        CheckConstraint("length(period) = 7", name="period_format"),
        CheckConstraint("units IS NULL OR units > 0", name="units_positive"),
        # Every paid order line accrues exactly once, even if two paths try at once.
        Index(
            "uq_ledger_transactions_accrual",
            "order_line_id",
            unique=True,
            sqlite_where=text("kind = 'accrual'"),
            postgresql_where=text("kind = 'accrual'"),
        ),
        # An accrual clears once.
        Index(
            "uq_ledger_transactions_clearing",
            "related_id",
            unique=True,
            sqlite_where=text("kind = 'clearing'"),
            postgresql_where=text("kind = 'clearing'"),
        ),
        Index("ix_ledger_transactions_creator_period", "creator_id", "period"),
        # What each leg's (transaction, creator, period) refers to: a leg cannot name another
        # creator or month than its transaction (statements read the legs', `verify` both).
        UniqueConstraint("id", "creator_id", "period", name="uq_ledger_transactions_id_creator"),
        # Closing a month reads the kind of its transactions from this index alone.
        Index("ix_ledger_transactions_period_id", "period", "id", postgresql_include=["kind"]),
        # `verify` streams every transaction in id order from this index alone.
        Index(
            "ix_ledger_transactions_id_covering",
            "id",
            postgresql_include=[
                "kind",
                "creator_id",
                "period",
                "related_id",
                "order_line_id",
                "units",
            ],
        ),
        # `verify`'s quick check (fingerprints.py) reads reversals and the few payout
        # transactions from these instead of scanning every transaction.
        Index(
            "ix_ledger_transactions_reversal_line",
            "order_line_id",
            postgresql_include=["units"],
            sqlite_where=text("kind = 'reversal'"),
            postgresql_where=text("kind = 'reversal'"),
        ),
        Index(
            "ix_ledger_transactions_payouts",
            "id",
            sqlite_where=text("kind = 'payout'"),
            postgresql_where=text("kind = 'payout'"),
        ),
        Index("ix_ledger_transactions_related_id", "related_id"),
        Index("ix_ledger_transactions_order_line_id", "order_line_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[Kind] = mapped_column(enum_column(Kind, "ledger_kind"))
    creator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The statement month ("2026-10") this transaction is reported in.
    period: Mapped[str] = mapped_column(String(PERIOD_LENGTH))
    #: When it happened (a payment, a refund, a clearing date), from the clock.
    occurred_at: Mapped[datetime]
    currency: Mapped[str] = mapped_column(String(3))
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    design_id: Mapped[int | None] = mapped_column(ForeignKey("designs.id"), index=True)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"), index=True)
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("royalty_schedules.id"))
    related_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    #: Units of the order line accrued or reversed.
    units: Mapped[int | None]
    #: The staff member who made an adjustment (or recorded a manual payout).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: An adjustment's reason; a short description otherwise.
    memo: Mapped[str] = mapped_column(Text, default="")

    entries: Mapped[list[LedgerEntry]] = relationship(
        order_by="LedgerEntry.id", lazy="selectin", viewonly=True
    )
    pieces: Mapped[list[AccrualPiece]] = relationship(
        order_by="AccrualPiece.tier", lazy="selectin", viewonly=True
    )


class LedgerEntry(Base):
    """One leg of a transaction: a signed amount on one account. A creator account's leg
    names the creator; the shop's accounts (expense, in transit, cash) repeat the
    transaction's creator too, so everything about one creator is one index range."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        *money_checks("amount", nonnegative=False),
        CheckConstraint("amount_amount <> 0", name="amount_nonzero"),
        ForeignKeyConstraint(
            ["transaction_id", "creator_id", "period"],
            [
                "ledger_transactions.id",
                "ledger_transactions.creator_id",
                "ledger_transactions.period",
            ],
            name="fk_ledger_entries_transaction_creator_period",
        ),
        # Statements and `verify` aggregate by creator within a period.
        Index("ix_ledger_entries_period_creator", "period", "creator_id", "account"),
        Index("ix_ledger_entries_creator_account", "creator_id", "account"),
        # `verify` sums each transaction's legs streamed in transaction order from this index
        # alone (on PostgreSQL; it covers the legs' account and amount).
        Index(
            "ix_ledger_entries_transaction_id",
            "transaction_id",
            postgresql_include=["account", "amount_amount"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int]
    account: Mapped[Account] = mapped_column(enum_column(Account, "ledger_account"))
    creator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    period: Mapped[str] = mapped_column(String(PERIOD_LENGTH))
    amount: Mapped[Money] = money_column("amount")


class AccrualPiece(Base):
    """The part of an accrual (or of a reversal) in one tier of its schedule: a line that
    crosses a tier boundary is split by units. A reversal's pieces name the accrual piece they
    reverse (`reverses_id`) and repeat its tier, rate and per-unit amount."""

    __tablename__ = "accrual_pieces"
    __table_args__ = (
        *money_checks("net_base"),
        *money_checks("amount"),
        CheckConstraint("units > 0", name="units_positive"),
        CheckConstraint("(rate IS NULL) <> (per_unit_amount IS NULL)", name="rate_or_per_unit"),
        # `verify` sums each transaction's pieces from this index alone (on PostgreSQL).
        Index(
            "ix_accrual_pieces_transaction_id",
            "transaction_id",
            postgresql_include=["amount_amount", "units"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"))
    #: 1-based index of the tier in its schedule.
    tier: Mapped[int]
    #: The design's unit count at this piece's first unit (1 for the very first sale).
    first_unit: Mapped[int]
    units: Mapped[int]
    #: A percentage schedule's rate (0.10 is 10 %), or None for a per-unit one.
    rate: Mapped[Decimal | None] = mapped_column(Numeric(7, 6))
    #: A per-unit schedule's amount in minor units, or None for a percentage one.
    per_unit_amount: Mapped[int | None] = mapped_column(BigInteger)
    #: The net revenue (VAT and shipping excluded) of these units: the order line's net split
    #: over its pieces by units (core.money.allocate).
    net_base: Mapped[Money] = money_column("net_base")
    #: The royalty, always positive: `net_base × rate` or `per_unit × units`, rounded once.
    #: A reversal's legs are negative; its pieces say what it took back.
    amount: Mapped[Money] = money_column("amount")
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("accrual_pieces.id"), index=True)


class ScheduleBasis(StrEnum):
    #: A share of the line's net revenue.
    PERCENT = "percent"
    #: A fixed amount per unit sold.
    PER_UNIT = "per_unit"


class RoyaltySchedule(Base):
    """A version of the royalty rules, in force from `effective_from` until the next one. An
    accrual keeps the schedule in force when its order was paid, and its reversals reuse it."""

    __tablename__ = "royalty_schedules"
    __table_args__ = (*money_checks("award"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    effective_from: Mapped[datetime] = mapped_column(unique=True)
    basis: Mapped[ScheduleBasis] = mapped_column(enum_column(ScheduleBasis, "schedule_basis"))
    #: Credited once when a design is approved; zero for none.
    award: Mapped[Money] = money_column("award")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    tiers: Mapped[list[RoyaltyTier]] = relationship(
        cascade="all, delete-orphan", order_by="RoyaltyTier.first_unit", lazy="selectin"
    )


class RoyaltyTier(Base):
    """Units `first_unit` and beyond (until the next tier) earn `rate` or `per_unit_amount`."""

    __tablename__ = "royalty_tiers"
    __table_args__ = (
        CheckConstraint("first_unit >= 1", name="first_unit_positive"),
        CheckConstraint("(rate IS NULL) <> (per_unit_amount IS NULL)", name="rate_or_per_unit"),
        CheckConstraint("rate IS NULL OR (rate >= 0 AND rate <= 1)", name="rate_fraction"),
        CheckConstraint("per_unit_amount IS NULL OR per_unit_amount >= 0", name="per_unit_ok"),
    )

    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("royalty_schedules.id", ondelete="CASCADE"), primary_key=True
    )
    first_unit: Mapped[int] = mapped_column(primary_key=True)
    rate: Mapped[Decimal | None] = mapped_column(Numeric(7, 6))
    per_unit_amount: Mapped[int | None] = mapped_column(BigInteger)


class DesignUnits(Base):
    """Units of a design ever sold (paid), which place its next sale in a tier. A refund does
    not give its units back: each unit number is paid once, so a tier is never paid for more
    units than it has (a refunded unit 101 re-sold would earn 12 % twice otherwise). Moved by
    SQL arithmetic (`UPDATE … SET units = units + n RETURNING units`) so two sales of one
    design at once each get their own unit numbers."""

    __tablename__ = "royalty_design_units"

    design_id: Mapped[int] = mapped_column(
        ForeignKey("designs.id", ondelete="CASCADE"), primary_key=True
    )
    units: Mapped[int] = mapped_column(default=0)


class PeriodState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class RoyaltyPeriod(Base):
    """A calendar month of statements. Closing it (once the month is over) writes every
    creator's statement; a closed period never changes, and what happens later is reported in
    the next open one. Its row is made by the first transaction posted into it (which holds it
    shared until it commits, so a close waits for it) or by closing it; absent means open."""

    __tablename__ = "royalty_periods"
    __table_args__ = (CheckConstraint("length(period) = 7", name="period_format"),)

    period: Mapped[str] = mapped_column(String(PERIOD_LENGTH), primary_key=True)
    state: Mapped[PeriodState] = mapped_column(
        enum_column(PeriodState, "period_state"), default=PeriodState.OPEN
    )
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class PeriodTransition(TransitionRecord, Base):
    __tablename__ = "royalty_period_transitions"
    state_enum = PeriodState
    subject_key = "period"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("royalty_periods.period"), index=True)


class Statement(Base):
    """One creator's closed month: balances at its start and end (pending and cleared apart)
    and the month's movements by kind. Written once by closing the period, never changed; its
    lines are the ledger transactions of that creator and period."""

    __tablename__ = "royalty_statements"
    __table_args__ = (
        CheckConstraint("length(period) = 7", name="period_format"),
        Index("uq_royalty_statements_creator_period", "creator_id", "period", unique=True),
        Index("ix_royalty_statements_period", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    period: Mapped[str] = mapped_column(ForeignKey("royalty_periods.period"))
    currency: Mapped[str] = mapped_column(String(3))
    # Balances (minor units): pending and cleared at the start and end of the month.
    opening_pending: Mapped[int] = mapped_column(BigInteger)
    opening_cleared: Mapped[int] = mapped_column(BigInteger)
    closing_pending: Mapped[int] = mapped_column(BigInteger)
    closing_cleared: Mapped[int] = mapped_column(BigInteger)
    # The month's movements on the creator's accounts, by kind (signed minor units).
    accrued: Mapped[int] = mapped_column(BigInteger, default=0)
    reversed: Mapped[int] = mapped_column(BigInteger, default=0)
    awarded: Mapped[int] = mapped_column(BigInteger, default=0)
    adjusted: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_out: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    @property
    def opening(self) -> Money:
        return Money(self.opening_pending + self.opening_cleared, self.currency)

    @property
    def closing(self) -> Money:
        return Money(self.closing_pending + self.closing_cleared, self.currency)


class PayoutAccount(Base):
    """A creator's payout preferences: their threshold (never below the site minimum) and,
    once they connected one, their Stripe Connect account."""

    __tablename__ = "royalty_payout_accounts"
    __table_args__ = (*money_checks("threshold"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    threshold: Mapped[Money] = money_column("threshold")
    stripe_account_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: True once Stripe reports the account can receive transfers.
    stripe_ready: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)


class PayoutState(StrEnum):
    #: Taken from the cleared balance, transfer requested (through the outbox).
    SENT = "sent"
    #: Arrived (Stripe accepted the transfer, or staff recorded a manual payment).
    PAID = "paid"
    #: The transfer failed: the amount went back to the cleared balance.
    FAILED = "failed"


class PayoutMethod(StrEnum):
    STRIPE = "stripe"
    MANUAL = "manual"


class Payout(Base):
    __tablename__ = "payouts"
    __table_args__ = (
        *money_checks("amount"),
        CheckConstraint("amount_amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: Payouts made by one staff run share a batch number.
    batch: Mapped[str] = mapped_column(String(32), index=True)
    amount: Mapped[Money] = money_column("amount")
    method: Mapped[PayoutMethod] = mapped_column(enum_column(PayoutMethod, "payout_method"))
    state: Mapped[PayoutState] = mapped_column(
        enum_column(PayoutState, "payout_state"), default=PayoutState.SENT, index=True
    )
    #: Stripe's transfer id, or the manual payment's reference (bank transfer number…).
    reference: Mapped[str] = mapped_column(String(255), default="")
    #: Why a transfer failed, as the provider said it.
    failure: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    settled_at: Mapped[datetime | None]


class PayoutTransition(TransitionRecord, Base):
    __tablename__ = "payout_transitions"
    state_enum = PayoutState
    subject_key = "payout_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id"), index=True)


#: The ledger's columns for SQL aggregates (`func.sum(ENTRY.amount_amount)`): money is mapped
#: as one `Money` attribute, its integer column is reached here.
ENTRY = LedgerEntry.__table__.c
PIECE = AccrualPiece.__table__.c
