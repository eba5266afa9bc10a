"""Notifications: the in-app list and email through the outbox, by each member's choice.

Three entry points make them: `comment_posted` (called by the comment service),
`on_design_transition` (connected to core's `transitioned` signal for designs) and
`reprint_available` (called by production when a reprint reaches stock). Both run in the
caller's transaction, so a notification and its email exist exactly when the comment or the
state change does. Each event gives each person at most one notification and one email.

The in-app row is always written; the email only if the recipient's preference for that kind
allows it (`EMAIL_DEFAULT` until they choose). Emails are rendered now, in the recipient's
language, into outbox rows that are delivered after the commit (core/mail.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app, has_request_context
from sqlalchemy import Row, and_, insert, literal, or_, select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core import jobs
from cocreate.core import mail as mail_module
from cocreate.core.clock import clock
from cocreate.core.db import UTCDateTime
from cocreate.core.outbox import OutboxMessage, OutboxStatus
from cocreate.designs.models import Design, DesignState, DesignTransition
from cocreate.voting.notify_models import (
    Follow,
    Notification,
    NotificationKind,
    NotificationPreference,
)

K = NotificationKind
S = DesignState

#: Whether a kind is emailed to a member who never chose. All on: each kind is about the
#: member's own design or comment, or about a designer they chose to follow (following is
#: itself the opt-in), and each can be switched off on the preferences page.
EMAIL_DEFAULT: dict[NotificationKind, bool] = dict.fromkeys(NotificationKind, True)

#: Followers are emailed in batches of this many: a bounded number of rows in memory and one
#: multi-row INSERT per batch into the outbox, however many followers a designer has.
FAN_OUT_BATCH = 500


# Preferences ---------------------------------------------------------------------------------


def email_preferences(session: Session, user_id: int) -> dict[NotificationKind, bool]:
    """Every kind → whether the member gets it by email (their choice, else the default)."""
    rows = session.execute(
        select(NotificationPreference.kind, NotificationPreference.email).where(
            NotificationPreference.user_id == user_id
        )
    )
    chosen = {kind: email for kind, email in rows}
    return {kind: chosen.get(kind, EMAIL_DEFAULT[kind]) for kind in NotificationKind}


def set_email_preferences(
    session: Session, user_id: int, choices: dict[NotificationKind, bool]
) -> None:
    """Store the member's choice for each kind given (a row per kind, changed in place)."""
    existing = {
        pref.kind: pref
        for pref in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    }
    for kind, email in choices.items():
        if kind in existing:
            existing[kind].email = email
        else:
            session.add(NotificationPreference(user_id=user_id, kind=kind, email=email))
    session.flush()


def _wants_email_clause(kind: NotificationKind) -> Any:
    """SQL: the member (joined with their preference row for `kind`, if any) wants the email."""
    chosen = NotificationPreference.email
    return or_(chosen.is_(True), chosen.is_(None)) if EMAIL_DEFAULT[kind] else chosen.is_(True)


# Events --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    kind: NotificationKind
    design: Design
    #: Who caused it; never told about it themself.
    actor_id: int | None
    comment_id: int | None = None
    #: What the email adds to the design and the link (the reason, the results …).
    details: dict[str, Any] = field(default_factory=dict)


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
    reply to my comment); never the author themself, and a designer replied to under their own
    design gets only the reply notification."""
    design = session.get_one(Design, design_id)
    recipients: dict[int, NotificationKind] = {}
    if reply_to_author_id is not None and reply_to_author_id != author_id:
        recipients[reply_to_author_id] = K.REPLY_TO_MY_COMMENT
    if design.designer_id != author_id:
        recipients.setdefault(design.designer_id, K.COMMENT_ON_MY_DESIGN)
    now = clock().now()
    for recipient_id, kind in recipients.items():
        recipient = session.get(User, recipient_id)
        if recipient is not None and recipient.is_active:
            event = Event(kind, design, author_id, comment_id=comment_id)
            notify(session, recipient, event, now=now)


def designer_kind(from_state: DesignState, to_state: DesignState) -> NotificationKind | None:
    """What a move of their design tells the designer, if anything."""
    if to_state is S.VOTING:
        return K.DESIGN_VOTING_OPEN
    if (from_state, to_state) == (S.VOTING, S.CLOSED):
        return K.VOTING_CLOSED
    if (from_state, to_state) == (S.SUBMITTED, S.REJECTED):
        return K.DESIGN_REJECTED
    return {
        S.APPROVED: K.DESIGN_APPROVED,
        S.DECLINED: K.DESIGN_DECLINED,
        S.REMOVED: K.DESIGN_REMOVED,
    }.get(to_state)


def on_design_transition(
    sender: type[Design],
    *,
    session: Session,
    subject: Design,
    record: DesignTransition,
    **_more: object,
) -> None:
    """Receiver of core's `transitioned` signal for designs (connected in voting's init_app)."""
    kind = designer_kind(record.from_state, record.to_state)
    if kind is None:
        return
    design, now = subject, record.created_at
    details: dict[str, Any] = {"reason": record.reason}
    if kind is K.VOTING_CLOSED:
        details["results"] = results(design)
    # A designer who opens voting themself (screening off) or a staff member moving their own
    # design is not told about their own action.
    if record.actor_id != design.designer_id:
        designer = session.get_one(User, design.designer_id)
        notify(session, designer, Event(kind, design, record.actor_id, details=details), now=now)
    if record.to_state is S.VOTING:
        tell_followers(session, design, now=now)


def reprint_available(session: Session, *, design_id: int, recipient_ids: Collection[int]) -> None:
    """Tell the members who asked for a reprint of the design that it is on sale again: one
    notification (and email, by preference) each, however many sizes they asked for. Called by
    production when a run of the design reaches stock, in that transaction.

    One member at a time, like comment notifications: requesters of one design are a few
    dozen, not a designer's thousands of followers (see `tell_followers` for those)."""
    ids = sorted(set(recipient_ids))
    if not ids:
        return
    design = session.get_one(Design, design_id)
    now = clock().now()
    for recipient in session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)):
        if recipient.is_active:
            notify(session, recipient, Event(K.REPRINT_ON_SALE, design, None), now=now)


@dataclass(frozen=True)
class Results:
    """A closed design's results, from its counters (counted votes only)."""

    votes: int
    #: The mean score, one decimal; None without votes.
    average: Decimal | None
    buyers: int


def results(design: Design) -> Results:
    average = None
    if design.vote_count:
        mean = Decimal(design.score_sum) / Decimal(design.vote_count)
        average = mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return Results(design.vote_count, average, design.buy_intent_count)


# Delivery ------------------------------------------------------------------------------------


def notify(session: Session, recipient: User, event: Event, *, now: datetime) -> Notification:
    """One in-app row for `recipient`, and the email if they want this kind by email."""
    row = Notification(
        recipient_id=recipient.id,
        kind=event.kind,
        design_id=event.design.id,
        actor_id=event.actor_id,
        comment_id=event.comment_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    if email_preferences(session, recipient.id)[event.kind]:
        actor = session.get(User, event.actor_id) if event.actor_id is not None else None
        context = _mail_context(event, actor_name=actor.display_name if actor else "")
        mail_module.send_mail(
            event.kind.value, to=recipient.email, locale=recipient.locale, user=recipient, **context
        )
    return row


def tell_followers(session: Session, design: Design, *, now: datetime) -> None:
    """Tell every active follower of the designer that `design` opened to votes.

    The in-app rows are one INSERT … SELECT, however many followers there are. The emails are
    still one outbox row per follower (each in its reader's language, with their name), made
    in batches of FAN_OUT_BATCH with one multi-row INSERT each: thousands of followers mean
    thousands of outbox rows for delivery to work through, but no per-follower round trip.
    """
    kind = K.FOLLOWED_DESIGNER_NEW_DESIGN
    table = Notification.__table__
    rows = (
        select(
            Follow.follower_id,
            literal(kind, table.c.kind.type),
            literal(design.id),
            literal(design.designer_id),
            literal(now, UTCDateTime()),
        )
        .join(User, User.id == Follow.follower_id)
        .where(Follow.designer_id == design.designer_id, User.is_active_account.is_(True))
    )
    session.execute(
        insert(Notification).from_select(
            ["recipient_id", "kind", "design_id", "actor_id", "created_at"], rows
        )
    )
    designer = session.get_one(User, design.designer_id)
    context = _mail_context(Event(kind, design, designer.id), actor_name=designer.display_name)
    for batch in _email_recipients(session, design.designer_id, kind):
        _queue_emails(session, kind, batch, context, now=now)


def _email_recipients(
    session: Session, designer_id: int, kind: NotificationKind
) -> Iterable[list[Row[Any]]]:
    """Active followers who want `kind` by email, FAN_OUT_BATCH at a time (keyset by id)."""
    query = (
        select(User.id, User.email, User.display_name, User.locale, User.timezone)
        .join(Follow, and_(Follow.follower_id == User.id, Follow.designer_id == designer_id))
        .outerjoin(
            NotificationPreference,
            and_(NotificationPreference.user_id == User.id, NotificationPreference.kind == kind),
        )
        .where(User.is_active_account.is_(True), _wants_email_clause(kind))
        .order_by(User.id)
        .limit(FAN_OUT_BATCH)
    )
    last = 0
    while batch := list[Row[Any]](session.execute(query.where(User.id > last))):
        yield batch
        last = batch[-1].id


def _queue_emails(
    session: Session,
    kind: NotificationKind,
    recipients: list[Row[Any]],
    context: dict[str, Any],
    *,
    now: datetime,
) -> None:
    values = []
    for recipient in recipients:
        mail = mail_module.render_mail(
            kind.value, to=recipient.email, locale=recipient.locale, user=recipient, **context
        )
        values.append(
            {
                "kind": mail_module.KIND,
                "payload": mail.payload(),
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    ids = session.scalars(insert(OutboxMessage).returning(OutboxMessage.id), values).all()
    jobs.deliver_after_commit(list(ids))


def _mail_context(event: Event, *, actor_name: str) -> dict[str, Any]:
    anchor = f"comment-{event.comment_id}" if event.comment_id is not None else None
    return {
        "design": event.design,
        "actor_name": actor_name,
        "link": link("designs.detail", anchor=anchor, design_id=event.design.id),
        "preferences_link": link("notifications.preferences"),
        **event.details,
    }


def link(endpoint: str, *, anchor: str | None = None, **values: Any) -> str:
    """An absolute link for an email, in a request or not (the close-voting command has none,
    and Flask's url_for needs one when SERVER_NAME is not set)."""
    if has_request_context():
        url = mail_module.public_url(endpoint, **values)
    else:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
        url = settings().PUBLIC_URL.rstrip("/") + path
    return f"{url}#{anchor}" if anchor else url
