"""Notifications: the in-app list and email through the outbox, by each member's choice."""

from __future__ import annotations

from sqlalchemy.orm import Session


def comment_posted(
    session: Session,
    *,
    design_id: int,
    comment_id: int,
    author_id: int,
    reply_to_author_id: int | None,
) -> None:
    """Called by the comment service after a comment or reply is flushed: tells the design's
    designer (a new comment on my design) and, for a reply, the parent comment's author (a
    reply to my comment); never the author themself. The notifications work fills this in."""
