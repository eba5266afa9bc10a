"""Votes: one per member per design, the buy intent by size, and the ranking's global mean."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cocreate.core.db import Base, now_utc
from cocreate.core.enums import enum_column


class VoteSignal(StrEnum):
    """Why a vote looks suspicious, and the category staff give when they discount one (the
    public results count discounted votes by these)."""

    #: Many accounts voted from one client address.
    SHARED_ADDRESS = "shared_address"
    #: A burst of newly created accounts voted for the same design.
    NEW_ACCOUNT_BURST = "new_account_burst"
    #: The account only ever votes for one designer's designs.
    SINGLE_DESIGNER = "single_designer"
    #: A burst of 5-star votes on one design.
    FIVE_STAR_BURST = "five_star_burst"
    #: Staff's own judgement (discounts only).
    OTHER = "other"


class Vote(Base):
    __tablename__ = "votes"
    __table_args__ = (
        # One vote per member per design: the database refuses a second row even when two
        # requests pass the Python check at once.
        UniqueConstraint("design_id", "voter_id"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        # "I'd buy it" always comes with a size, and a size only with it.
        CheckConstraint(
            "(buy AND size <> '' AND product <> '') OR (NOT buy AND size = '' AND product = '')",
            name="buy_has_size",
        ),
        CheckConstraint("counted OR discount_category IS NOT NULL", name="discount_has_category"),
        Index("ix_votes_voter_id", "voter_id"),
        Index("ix_votes_ip_hash", "ip_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    design_id: Mapped[int] = mapped_column(ForeignKey("designs.id", ondelete="CASCADE"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: 1 to 5.
    score: Mapped[int] = mapped_column(SmallInteger)
    #: "I'd buy it", with the catalogue product and size the voter would buy.
    buy: Mapped[bool] = mapped_column(default=False)
    product: Mapped[str] = mapped_column(String(32), default="")
    size: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc)
    #: Keyed hash of the client address, the key rotated by period (never the address itself).
    ip_hash: Mapped[str] = mapped_column(String(64), default="")
    #: False once staff discounted it: the design's counters and rank leave it out.
    counted: Mapped[bool] = mapped_column(default=True)
    discount_category: Mapped[VoteSignal | None] = mapped_column(
        enum_column(VoteSignal, "vote_signal"), nullable=True
    )
    discounted_at: Mapped[datetime | None]
    discounted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DesignIntent(Base):
    """Counted "I'd buy it" votes of one design for one product and size (a counter, updated
    atomically like the design's own)."""

    __tablename__ = "design_intents"
    __table_args__ = (CheckConstraint("count >= 0", name="count_positive"),)

    design_id: Mapped[int] = mapped_column(
        ForeignKey("designs.id", ondelete="CASCADE"), primary_key=True
    )
    product: Mapped[str] = mapped_column(String(32), primary_key=True)
    size: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class RankingStats(Base):
    """One row: the mean score m over all public designs' counted votes, used by every rank.
    Refreshed periodically (`flask voting refresh-ranking`), not summed per request."""

    __tablename__ = "ranking_stats"

    id: Mapped[int] = mapped_column(primary_key=True)
    mean: Mapped[float] = mapped_column(default=3.0)
    refreshed_at: Mapped[datetime] = mapped_column(default=now_utc)
