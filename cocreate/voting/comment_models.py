"""Critique comments on designs, one level of replies, and members' reports of abuse."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocreate.accounts.models import User
from cocreate.core.db import Base, now_utc
from cocreate.core.enums import enum_column

#: The longest comment, in characters after cleaning (a critique, not an essay).
MAX_BODY = 2000
#: The longest staff reason for hiding, and the longest note on a report.
MAX_REASON = 500


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint(f"length(body) BETWEEN 1 AND {MAX_BODY}", name="body_length"),
        # A comment never answers itself; deeper nesting is refused by the service (one level).
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        # Hidden means: hidden by a known staff member at a known time.
        CheckConstraint(
            "(hidden AND hidden_at IS NOT NULL AND hidden_by_id IS NOT NULL)"
            " OR (NOT hidden AND hidden_at IS NULL AND hidden_by_id IS NULL)",
            name="hidden_has_who_and_when",
        ),
        # The design page reads one design's comments oldest first: an index range scan.
        Index("ix_comments_design_id_created_at", "design_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    design_id: Mapped[int] = mapped_column(ForeignKey("designs.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The top-level comment this one replies to; None for a top-level comment. Always a
    #: top-level comment: a reply to a reply joins the same thread (see comments.post).
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    #: Plain text as the author typed it (cleaned); turned into safe HTML only when shown.
    body: Mapped[str] = mapped_column(Text)
    #: Set by the service from the app's clock: the edit window counts from it.
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    #: The last edit by the author, if any (shown as "edited").
    edited_at: Mapped[datetime | None]
    #: Hidden by staff: members see a placeholder, the design's comment_count leaves it out.
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hidden_reason: Mapped[str] = mapped_column(Text, default="")

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="raise_on_sql")
    hidden_by: Mapped[User | None] = relationship(foreign_keys=[hidden_by_id], lazy="raise_on_sql")

    @property
    def is_reply(self) -> bool:
        return self.parent_id is not None


class CommentAction(StrEnum):
    #: Staff hid the comment (with a reason).
    HIDE = "hide"
    #: Staff showed a hidden comment again.
    RESTORE = "restore"


class CommentModeration(Base):
    """One staff decision on a comment, kept for the audit log: hiding it (with the reason) or
    showing it again. The comment's own columns say only how it stands now: a restore clears
    them, and the history would be lost with them."""

    __tablename__ = "comment_moderations"
    __table_args__ = (Index("ix_comment_moderations_comment_id_at", "comment_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    action: Mapped[CommentAction] = mapped_column(enum_column(CommentAction, "comment_action"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]


class ReportReason(StrEnum):
    #: Advertising, links farms, repeated messages.
    SPAM = "spam"
    #: Insults, harassment or threats aimed at someone.
    HARASSMENT = "harassment"
    #: Hateful, obscene or otherwise offensive.
    OFFENSIVE = "offensive"
    #: Anything else; the reporter explains in the note.
    OTHER = "other"


class CommentReport(Base):
    """One member's report of one comment. Resolved when staff hide the comment or dismiss
    its reports; the staff queue lists comments with unresolved reports."""

    __tablename__ = "comment_reports"
    __table_args__ = (
        # One report per member per comment, enforced by the database even for two requests
        # at once (the service turns the violation into a message).
        UniqueConstraint("comment_id", "reporter_id"),
        Index("ix_comment_reports_resolved_at", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[ReportReason] = mapped_column(enum_column(ReportReason, "report_reason"))
    #: What the reporter added, optional.
    note: Mapped[str] = mapped_column(String(MAX_REASON), default="")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    #: When staff hid the comment or dismissed the report; None while it waits in the queue.
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id], lazy="raise_on_sql")

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None
