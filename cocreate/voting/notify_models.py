"""Following and notifications: who follows which designer, what each member was told, and
which notifications each member wants by email."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from cocreate.core.db import Base, now_utc
from cocreate.core.enums import enum_column


class NotificationKind(StrEnum):
    """What happened. The value also names the email template (`email/<value>.txt`)."""

    #: Someone else commented on (or replied under) one of my designs.
    COMMENT_ON_MY_DESIGN = "comment_on_my_design"
    #: Someone else replied to my comment.
    REPLY_TO_MY_COMMENT = "reply_to_my_comment"
    #: My design opened to votes (staff accepted it at screening).
    DESIGN_VOTING_OPEN = "design_voting_open"
    #: My design's voting window closed; the message carries its results.
    VOTING_CLOSED = "voting_closed"
    #: Staff approved my design for production.
    DESIGN_APPROVED = "design_approved"
    #: Staff declined my design after the vote (with a reason).
    DESIGN_DECLINED = "design_declined"
    #: Staff removed my design (with a reason).
    DESIGN_REMOVED = "design_removed"
    #: Staff rejected my design at screening (with a reason).
    DESIGN_REJECTED = "design_rejected"
    #: A designer I follow has a new design open to votes.
    FOLLOWED_DESIGNER_NEW_DESIGN = "followed_designer_new_design"
    #: A design I asked to be reprinted is on sale again in a product and size I asked for.
    REPRINT_ON_SALE = "reprint_on_sale"


class Follow(Base):
    """A member follows a designer: told when one of their designs opens to votes."""

    __tablename__ = "follows"
    __table_args__ = (
        CheckConstraint("follower_id <> designer_id", name="not_self"),
        # Follower counts and the fan-out when a design opens read by designer.
        Index("ix_follows_designer_id", "designer_id"),
    )

    # The composite key is the uniqueness: one row per (follower, designer), whatever races.
    follower_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    designer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=now_utc)


class Notification(Base):
    """One thing a member was told, in the in-app list. Its text is written when the list is
    shown, in the reader's language at that moment, from the kind and the ids."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The unread count on every page: an index-only count of (recipient, NULL read_at).
        Index("ix_notifications_recipient_id_read_at", "recipient_id", "read_at"),
        # Deleting a design deletes its notifications (ON DELETE CASCADE needs the index).
        Index("ix_notifications_design_id", "design_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(
        enum_column(NotificationKind, "notification_kind")
    )
    design_id: Mapped[int] = mapped_column(ForeignKey("designs.id", ondelete="CASCADE"))
    #: Who caused it (the commenter, the followed designer, the staff member); None for the
    #: system (the voting window closed) or a deleted account.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The comment a comment or reply notification points at (its anchor on the design page).
    #: A plain number: hidden or deleted comments must not take the notification with them.
    comment_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    read_at: Mapped[datetime | None]


class NotificationPreference(Base):
    """A member's choice for one kind, stored only once they change it: no row means the
    default (`notifications.EMAIL_DEFAULT`)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[NotificationKind] = mapped_column(
        enum_column(NotificationKind, "notification_kind"), primary_key=True
    )
    email: Mapped[bool]
