"""Vote integrity's tables: the flags fraud signals raise, and the audit trail of staff's
discounts and restores. Also the indexes on `votes` the signals read by (see integrity.py)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cocreate.core.db import Base, now_utc
from cocreate.core.enums import enum_column
from cocreate.voting.models import Vote, VoteSignal

# The signals look back over a short window from one vote: the design's recent votes (a burst
# on one design) and the address's recent votes (many accounts from one address). These two
# indexes make each a range scan of the window, not a read of every vote of the design or
# address. Declared here rather than on Vote so integrity owns what only it reads.
Index("ix_votes_design_id_updated_at", Vote.design_id, Vote.updated_at)
Index("ix_votes_ip_hash_updated_at", Vote.ip_hash, Vote.updated_at)


class FlagState(StrEnum):
    #: Waiting for staff.
    OPEN = "open"
    #: Staff discounted the vote.
    DISCOUNTED = "discounted"
    #: Staff kept (or restored) the vote: the signal was a false alarm.
    DISMISSED = "dismissed"


class VoteFlag(Base):
    """One fraud signal a vote matched, for staff to judge. At most one per vote and signal:
    assessing a changed vote again adds nothing, and a flag staff dismissed stays dismissed."""

    __tablename__ = "vote_flags"
    __table_args__ = (
        UniqueConstraint("vote_id", "signal"),
        # The staff page lists the flags of one state, newest first.
        Index("ix_vote_flags_state_created_at", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    signal: Mapped[VoteSignal] = mapped_column(enum_column(VoteSignal, "vote_signal"))
    #: The facts behind the flag, shown to staff in their language: how many accounts or votes
    #: the signal counted, and over how many minutes (0 when it looks at no window).
    count: Mapped[int]
    window_minutes: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    state: Mapped[FlagState] = mapped_column(
        enum_column(FlagState, "flag_state"), default=FlagState.OPEN
    )
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]


class ModerationAction(StrEnum):
    #: A counted vote was taken out of its design's counters.
    DISCOUNT = "discount"
    #: A discounted vote counts again.
    RESTORE = "restore"
    #: A counted vote's open flags were dismissed; it keeps counting.
    DISMISS = "dismiss"


class VoteModeration(Base):
    """Audit trail: one row per staff decision on a vote (who, when, what, which category).
    A repeated decision that changes nothing writes no row."""

    __tablename__ = "vote_moderations"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[ModerationAction] = mapped_column(
        enum_column(ModerationAction, "moderation_action")
    )
    #: The discount category (None for a restore or a dismissal).
    category: Mapped[VoteSignal | None] = mapped_column(
        enum_column(VoteSignal, "vote_signal"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
