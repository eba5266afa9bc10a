"""A member's notifications: the unread count, the list, and marking them read. Each function
takes the reader's id, and only ever reads or changes that member's own rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from cocreate.accounts.models import User
from cocreate.core.i18n import format_number
from cocreate.designs.models import Design
from cocreate.voting.notifications import Results, results
from cocreate.voting.notify_models import Notification, NotificationKind

K = NotificationKind
PAGE_SIZE = 30
#: Deeper pages are refused (clamped): huge offsets only cost the database.
MAX_PAGE = 1000


def unread_count(session: Session, user_id: int) -> int:
    """One COUNT on the (recipient_id, read_at) index: the nav badge on every page."""
    count = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.recipient_id == user_id, Notification.read_at.is_(None))
    )
    return count or 0


@dataclass(frozen=True)
class Item:
    """One line of the list, with what its text needs."""

    id: int
    kind: NotificationKind
    design_id: int
    design_title: str
    #: The actor's display name; "" when there is none (the system, a deleted account).
    actor_name: str
    comment_id: int | None
    created_at: datetime
    read_at: datetime | None
    #: The design's results now (shown for a closed vote).
    results: Results

    @property
    def anchor(self) -> str | None:
        return f"comment-{self.comment_id}" if self.comment_id is not None else None

    @property
    def text(self) -> str:
        return describe(self)


@dataclass(frozen=True)
class InboxPage:
    items: list[Item]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def inbox(session: Session, user_id: int, *, page: int = 1, per_page: int = PAGE_SIZE) -> InboxPage:
    """The member's notifications, newest first: one query for the page, with the design's
    title and counters and the actor's name joined in."""
    page = max(1, min(page, MAX_PAGE))
    actor = aliased(User)
    rows = session.execute(
        select(Notification, Design, actor.display_name)
        .join(Design, Design.id == Notification.design_id)
        .outerjoin(actor, actor.id == Notification.actor_id)
        .where(Notification.recipient_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    items = [
        Item(
            id=note.id,
            kind=note.kind,
            design_id=design.id,
            design_title=design.title,
            actor_name=actor_name or "",
            comment_id=note.comment_id,
            created_at=note.created_at,
            read_at=note.read_at,
            results=results(design),
        )
        for note, design, actor_name in rows[:per_page]
    ]
    return InboxPage(items, page, has_next=len(rows) > per_page)


def open_notification(
    session: Session, user_id: int, notification_id: int, *, now: datetime
) -> Notification | None:
    """The member's own notification, now marked read; None if it is not theirs (or gone)."""
    note = session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.recipient_id == user_id
        )
    )
    if note is not None and note.read_at is None:
        note.read_at = now
        session.flush()
    return note


def mark_all_read(session: Session, user_id: int, *, now: datetime) -> None:
    """Mark every unread notification of the member read."""
    session.execute(
        update(Notification)
        .where(Notification.recipient_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
    )


def describe(item: Item) -> str:
    """The line the list shows, in the reader's language."""
    title, actor = item.design_title, item.actor_name or _("A member")
    if item.kind is K.COMMENT_ON_MY_DESIGN:
        return _("%(author)s commented on your design “%(title)s”.", author=actor, title=title)
    if item.kind is K.REPLY_TO_MY_COMMENT:
        return _("%(author)s replied to your comment on “%(title)s”.", author=actor, title=title)
    if item.kind is K.DESIGN_VOTING_OPEN:
        return _("Your design “%(title)s” is open to votes.", title=title)
    if item.kind is K.VOTING_CLOSED:
        return _(
            "Voting on your design “%(title)s” has closed: %(results)s.",
            title=title,
            results=results_text(item.results),
        )
    if item.kind is K.DESIGN_APPROVED:
        return _("Your design “%(title)s” was approved for production.", title=title)
    if item.kind is K.DESIGN_DECLINED:
        return _("Your design “%(title)s” was not selected for production.", title=title)
    if item.kind is K.DESIGN_REMOVED:
        return _("Your design “%(title)s” was removed.", title=title)
    if item.kind is K.DESIGN_REJECTED:
        return _("Your design “%(title)s” was not accepted at screening.", title=title)
    if item.kind is K.REPRINT_ON_SALE:
        return _("“%(title)s”, which you asked to be reprinted, is on sale again.", title=title)
    return _(
        "%(designer)s, whom you follow, has a new design open to votes: “%(title)s”.",
        designer=actor,
        title=title,
    )


def results_text(res: Results) -> str:
    votes = ngettext("%(num)d vote", "%(num)d votes", res.votes)
    buyers = ngettext("%(num)d member would buy it", "%(num)d members would buy it", res.buyers)
    if res.average is None:
        return _("%(votes)s, %(buyers)s", votes=votes, buyers=buyers)
    return _(
        "%(votes)s, average %(average)s out of 5, %(buyers)s",
        votes=votes,
        average=format_number(res.average),
        buyers=buyers,
    )
