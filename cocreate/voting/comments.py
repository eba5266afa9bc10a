"""Critique comments: posting and replying, the author's edit window, reports, staff moderation.

Services flush, never commit (one commit per request, core/db.py). A refusal raises
`CommentRefused` with the message to show and the status to answer.

`Design.comment_count` counts the visible comments and replies. It changes only by SQL
arithmetic in the same transaction (`comment_count = comment_count + :d`), never by a count
read into Python, so two comments posted at once both count. Hiding and restoring change the
comment with a conditional UPDATE (`… WHERE hidden = false`) and move the counter only when
that UPDATE changed a row: two staff hiding one comment at once take one off the count, not two.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core.inputs import has_visible
from cocreate.designs.models import PUBLIC_STATES, Design
from cocreate.voting import notifications
from cocreate.voting.comment_models import (
    MAX_BODY,
    MAX_REASON,
    Comment,
    CommentAction,
    CommentModeration,
    CommentReport,
    ReportReason,
)
from cocreate.voting.comment_text import clean_body

FORBIDDEN = 403
CONFLICT = 409
INVALID = 422


class CommentRefused(Exception):
    def __init__(self, message: str, status: int = INVALID) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _checked_body(text: str) -> str:
    body = clean_body(text)
    if not has_visible(body):
        raise CommentRefused(_("Write something before posting."))
    if len(body) > MAX_BODY:
        raise CommentRefused(
            _(
                "A comment holds at most %(max)d characters; yours has %(length)d.",
                max=MAX_BODY,
                length=len(body),
            )
        )
    return body


def _change_count(session: Session, design_id: int, delta: int) -> None:
    session.execute(
        update(Design)
        .where(Design.id == design_id)
        .values(comment_count=Design.comment_count + delta, updated_at=Design.updated_at)
        .execution_options(synchronize_session=False)
    )


def open_to_comments(design: Design) -> bool:
    """Public designs only: voting or later, never a draft, a submission or a removed design."""
    return design.state in PUBLIC_STATES


def post(
    session: Session,
    design: Design,
    author: User,
    text: str,
    *,
    now: datetime,
    reply_to: Comment | None = None,
) -> Comment:
    """A new comment on `design`, or a reply when `reply_to` is given.

    Replies go one level deep. A reply to a reply joins the same thread, under the top-level
    comment, rather than being refused: the member answered someone in that conversation, and
    the thread is where readers look for the answer; the answered reply's author is the one
    told about it. Replies to a hidden comment, or in a hidden comment's thread, are refused:
    staff closed that conversation.
    """
    if not author.is_verified:
        raise CommentRefused(
            _("Confirm your email address before you comment: open the link we sent you."),
            FORBIDDEN,
        )
    if not open_to_comments(design):
        raise CommentRefused(_("This design is not open to comments."), CONFLICT)
    body = _checked_body(text)
    parent_id = None
    if reply_to is not None:
        if reply_to.design_id != design.id:
            raise CommentRefused(_("That comment belongs to another design."), INVALID)
        thread = reply_to
        if reply_to.parent_id is not None:
            thread = session.get_one(Comment, reply_to.parent_id)
        if reply_to.hidden or thread.hidden:
            raise CommentRefused(
                _("This comment was hidden by our team and takes no replies."), CONFLICT
            )
        parent_id = thread.id
    comment = Comment(
        design_id=design.id, author_id=author.id, parent_id=parent_id, body=body, created_at=now
    )
    session.add(comment)
    session.flush()
    _change_count(session, design.id, +1)
    notifications.comment_posted(
        session,
        design_id=design.id,
        comment_id=comment.id,
        author_id=author.id,
        reply_to_author_id=reply_to.author_id if reply_to is not None else None,
    )
    return comment


def edit_deadline(comment: Comment, edit_minutes: int) -> datetime:
    """The first instant the comment can no longer be edited."""
    return comment.created_at + timedelta(minutes=edit_minutes)


def edit_refusal(
    comment: Comment, user: User | None, *, now: datetime, edit_minutes: int
) -> CommentRefused | None:
    """Why `user` may not edit `comment` at `now`, or None if they may: only its author,
    before the deadline (at the deadline itself it is too late), and not once hidden."""
    if user is None or user.id != comment.author_id:
        return CommentRefused(_("Only its author can edit a comment."), FORBIDDEN)
    if comment.hidden:
        return CommentRefused(_("This comment was hidden by our team."), CONFLICT)
    if not now < edit_deadline(comment, edit_minutes):
        return CommentRefused(
            _(
                "Comments can be edited for %(minutes)d minutes after posting; "
                "this one can no longer be changed.",
                minutes=edit_minutes,
            ),
            CONFLICT,
        )
    return None


def can_edit(comment: Comment, user: User | None, *, now: datetime, edit_minutes: int) -> bool:
    """Whether the page offers `user` the edit link."""
    return edit_refusal(comment, user, now=now, edit_minutes=edit_minutes) is None


def edit(
    session: Session,
    comment: Comment,
    editor: User,
    text: str,
    *,
    now: datetime,
    edit_minutes: int,
) -> None:
    refusal = edit_refusal(comment, editor, now=now, edit_minutes=edit_minutes)
    if refusal is not None:
        raise refusal
    body = _checked_body(text)
    if body != comment.body:
        comment.body = body
        comment.edited_at = now
    session.flush()


def report(
    session: Session,
    comment: Comment,
    reporter: User,
    reason: ReportReason,
    note: str = "",
    *,
    now: datetime,
) -> CommentReport:
    """One report per member per comment; never of one's own comment."""
    if reporter.id == comment.author_id:
        raise CommentRefused(_("You cannot report your own comment."), FORBIDDEN)
    if comment.hidden:
        raise CommentRefused(_("This comment is already hidden by our team."), CONFLICT)
    note = clean_body(note)
    if len(note) > MAX_REASON:
        raise CommentRefused(_("A note holds at most %(max)d characters.", max=MAX_REASON), INVALID)
    already = _("You have already reported this comment; our team will look at it.")
    reported = exists().where(
        CommentReport.comment_id == comment.id, CommentReport.reporter_id == reporter.id
    )
    if session.scalar(select(reported)):
        raise CommentRefused(already, CONFLICT)
    row = CommentReport(
        comment_id=comment.id, reporter_id=reporter.id, reason=reason, note=note, created_at=now
    )
    # Two reports sent at once both pass the check above; the unique constraint refuses the
    # second, inside a savepoint so the rest of the request's transaction survives.
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise CommentRefused(already, CONFLICT) from None
    return row


def _resolve_reports(session: Session, comment_id: int, staff: User, now: datetime) -> int:
    result = session.execute(
        update(CommentReport)
        .where(CommentReport.comment_id == comment_id, CommentReport.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by_id=staff.id)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def hide(session: Session, comment: Comment, staff: User, reason: str, *, now: datetime) -> bool:
    """Hide a visible comment (its open reports are thereby resolved). False if it already
    was hidden, by someone else a moment ago for instance; nothing changes then."""
    reason = clean_body(reason)
    if not has_visible(reason):
        raise CommentRefused(_("Give the reason for hiding this comment."))
    if len(reason) > MAX_REASON:
        raise CommentRefused(_("A reason holds at most %(max)d characters.", max=MAX_REASON))
    design_id = comment.design_id
    changed = session.execute(
        update(Comment)
        .where(Comment.id == comment.id, ~Comment.hidden)
        .values(hidden=True, hidden_at=now, hidden_by_id=staff.id, hidden_reason=reason)
        .execution_options(synchronize_session=False)
    )
    _resolve_reports(session, comment.id, staff, now)
    session.expire(comment)  # the UPDATE went around the ORM: read the row again when used
    if not changed.rowcount:  # type: ignore[attr-defined]
        return False
    _record(session, comment.id, CommentAction.HIDE, staff, reason, now)
    _change_count(session, design_id, -1)
    return True


def restore(session: Session, comment: Comment, staff: User, *, now: datetime) -> bool:
    """Show a hidden comment again. False if it was not hidden (nothing changes)."""
    design_id, comment_id = comment.design_id, comment.id
    changed = session.execute(
        update(Comment)
        .where(Comment.id == comment.id, Comment.hidden)
        .values(hidden=False, hidden_at=None, hidden_by_id=None, hidden_reason="")
        .execution_options(synchronize_session=False)
    )
    session.expire(comment)
    if not changed.rowcount:  # type: ignore[attr-defined]
        return False
    _record(session, comment_id, CommentAction.RESTORE, staff, "", now)
    _change_count(session, design_id, +1)
    return True


def _record(
    session: Session,
    comment_id: int,
    action: CommentAction,
    staff: User,
    reason: str,
    now: datetime,
) -> None:
    session.add(
        CommentModeration(
            comment_id=comment_id, action=action, actor_id=staff.id, reason=reason, at=now
        )
    )
    session.flush()


def dismiss_reports(session: Session, comment: Comment, staff: User, *, now: datetime) -> int:
    """Staff found nothing wrong: the comment's open reports leave the queue. Returns how many."""
    return _resolve_reports(session, comment.id, staff, now)
