"""Read side of comments: a design's discussion and the staff's report queue.

Each runs a fixed number of queries however many comments there are: authors (and the staff
member who hid a comment) are joined, replies come in the same query as their threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from cocreate.designs.models import Design
from cocreate.voting.comment_models import Comment, CommentReport

#: The report queue shows this many comments at most; staff work from the oldest report.
QUEUE_SIZE = 100
#: Recently hidden comments listed under the queue, where staff can restore them.
RECENTLY_HIDDEN = 20


@dataclass
class Thread:
    """A top-level comment and its replies, oldest first."""

    comment: Comment
    replies: list[Comment] = field(default_factory=list)


def _with_people(query):  # type: ignore[no-untyped-def]
    return query.options(joinedload(Comment.author), joinedload(Comment.hidden_by))


def discussion(session: Session, design_id: int) -> list[Thread]:
    """Every comment of the design, hidden ones included (the page decides who sees what):
    threads oldest first, each with its replies oldest first. One query."""
    query = (
        select(Comment)
        .where(Comment.design_id == design_id)
        .order_by(Comment.created_at, Comment.id)
    )
    rows = list(session.scalars(_with_people(query)))
    threads = {c.id: Thread(c) for c in rows if c.parent_id is None}
    for comment in rows:
        if comment.parent_id is not None and comment.parent_id in threads:
            threads[comment.parent_id].replies.append(comment)
    return list(threads.values())


def reported_by(session: Session, reporter_id: int, design_id: int) -> set[int]:
    """Ids of the design's comments this member has reported (their button says so)."""
    query = (
        select(CommentReport.comment_id)
        .join(Comment, Comment.id == CommentReport.comment_id)
        .where(CommentReport.reporter_id == reporter_id, Comment.design_id == design_id)
    )
    return set(session.scalars(query))


@dataclass
class Reported:
    comment: Comment
    design_title: str
    reports: list[CommentReport] = field(default_factory=list)


def report_queue(session: Session, limit: int = QUEUE_SIZE) -> list[Reported]:
    """Comments with unresolved reports, the longest waiting first, each with those reports.
    Two queries."""
    first_report = (
        select(CommentReport.comment_id, func.min(CommentReport.created_at).label("since"))
        .where(CommentReport.resolved_at.is_(None))
        .group_by(CommentReport.comment_id)
        .subquery()
    )
    query = (
        select(Comment, Design.title)
        .join(first_report, first_report.c.comment_id == Comment.id)
        .join(Design, Design.id == Comment.design_id)
        .order_by(first_report.c.since, Comment.id)
        .limit(limit)
    )
    items = {c.id: Reported(c, title) for c, title in session.execute(_with_people(query))}
    if not items:
        return []
    reports = session.scalars(
        select(CommentReport)
        .where(CommentReport.comment_id.in_(items), CommentReport.resolved_at.is_(None))
        .order_by(CommentReport.created_at, CommentReport.id)
        .options(joinedload(CommentReport.reporter))
    )
    for report in reports:
        items[report.comment_id].reports.append(report)
    return list(items.values())


def recently_hidden(session: Session, limit: int = RECENTLY_HIDDEN) -> list[tuple[Comment, str]]:
    """The last hidden comments with their design's title, newest hide first. One query."""
    query = (
        select(Comment, Design.title)
        .join(Design, Design.id == Comment.design_id)
        .where(Comment.hidden)
        .order_by(Comment.hidden_at.desc(), Comment.id.desc())
        .limit(limit)
    )
    return [(c, title) for c, title in session.execute(_with_people(query))]
