"""Following designers: a member follows or unfollows a designer, and is told (by
notifications) when one of that designer's designs opens to votes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.voting.notify_models import Follow


class CannotFollow(Exception):
    """`str()` is the message for the member."""


def follow(session: Session, follower: User, designer: User, *, now: datetime) -> bool:
    """Follow `designer`; True if this made the follow, False if it already existed.

    Repeating it (a double click, two tabs) is a no-op: the insert skips an existing row in SQL
    (ON CONFLICT DO NOTHING), so two requests at once never fail on the primary key.
    """
    if follower.id == designer.id:
        raise CannotFollow(_("You cannot follow yourself."))
    if not designer.is_active:
        raise CannotFollow(_("This member cannot be followed."))
    values = {"follower_id": follower.id, "designer_id": designer.id, "created_at": now}
    stmt = _insert_ignoring_duplicates(session).values(**values).returning(Follow.follower_id)
    # RETURNING rather than rowcount: an insert the conflict skipped returns no row, on both
    # databases (rowcount is not reliable for ORM-enabled inserts).
    return session.execute(stmt).first() is not None


def _insert_ignoring_duplicates(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(Follow).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(Follow).on_conflict_do_nothing()


def unfollow(session: Session, follower: User, designer: User) -> bool:
    """Stop following; True if there was a follow to end (repeating it is a no-op)."""
    result = session.execute(
        delete(Follow).where(Follow.follower_id == follower.id, Follow.designer_id == designer.id)
    )
    session.flush()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def is_following(session: Session, follower_id: int, designer_id: int) -> bool:
    return (
        session.scalar(
            select(Follow.follower_id).where(
                Follow.follower_id == follower_id, Follow.designer_id == designer_id
            )
        )
        is not None
    )


def follower_count(session: Session, designer_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Follow).where(Follow.designer_id == designer_id)
        )
        or 0
    )


def followed_designers(session: Session, follower_id: int) -> list[User]:
    """The designers a member follows, by name."""
    return list(
        session.scalars(
            select(User)
            .join(Follow, Follow.designer_id == User.id)
            .where(Follow.follower_id == follower_id)
            .order_by(User.display_name, User.id)
        )
    )
