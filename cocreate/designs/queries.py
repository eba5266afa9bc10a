"""Read side of designs: the gallery's views, search, tags, a designer's designs.

Every listing runs a constant number of queries whatever the page size: designers are joined,
tags and products are loaded with one `selectin` query each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Float, Select, and_, cast, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from cocreate.accounts.models import User
from cocreate.designs.lifecycle import voting_ended
from cocreate.designs.models import PUBLIC_STATES, Design, DesignState, Tag, design_tags

PAGE_SIZE = 24
#: Deeper pages are refused: nobody browses that far, and huge offsets only cost the database.
MAX_PAGE = 1000
#: Prior weight C of the Bayesian average (DESIGN.md "Votes and ranking").
RANK_PRIOR_WEIGHT = 20
#: The prior mean m when no vote exists yet anywhere: the middle of the 1–5 scale.
NEUTRAL_MEAN = 3.0


class GalleryView(StrEnum):
    VOTING = "voting"
    ENDING = "ending"
    NEWEST = "newest"
    TOP = "top"
    ON_SALE = "on_sale"


@dataclass(frozen=True)
class Page:
    items: list[Design]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _with_relations(query: Select[tuple[Design]]) -> Select[tuple[Design]]:
    return query.options(
        joinedload(Design.designer), selectinload(Design.tags), selectinload(Design.products)
    )


def rank_expression(mean: float):  # type: ignore[no-untyped-def]
    """(C·m + Σscores) / (C + n): few votes are pulled toward the mean of all designs."""
    return (RANK_PRIOR_WEIGHT * mean + cast(Design.score_sum, Float)) / (
        RANK_PRIOR_WEIGHT + Design.vote_count
    )


def mean_score(session: Session) -> float:
    total, count = session.execute(
        select(
            func.coalesce(func.sum(Design.score_sum), 0),
            func.coalesce(func.sum(Design.vote_count), 0),
        ).where(Design.state.in_(PUBLIC_STATES))
    ).one()
    return float(total) / float(count) if count else NEUTRAL_MEAN


def _search(query: Select[tuple[Design]], text: str) -> Select[tuple[Design]]:
    pattern = f"%{text.strip().lower()}%"
    tag_match = exists().where(
        design_tags.c.design_id == Design.id,
        design_tags.c.tag_id == Tag.id,
        Tag.name.like(pattern),
    )
    return query.join(User, User.id == Design.designer_id).where(
        or_(
            func.lower(Design.title).like(pattern),
            func.lower(User.display_name).like(pattern),
            tag_match,
        )
    )


def gallery(
    session: Session,
    view: GalleryView = GalleryView.VOTING,
    *,
    search: str = "",
    tag: str | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    now: datetime,
) -> Page:
    """One page of `view`; "open" means voting and not yet ended at `now` (the caller's clock)."""
    query = select(Design)
    open_now = and_(Design.state == DesignState.VOTING, Design.voting_ends_at > now)
    if view is GalleryView.VOTING:
        query = query.where(open_now).order_by(Design.published_at.desc(), Design.id.desc())
    elif view is GalleryView.ENDING:
        query = query.where(open_now).order_by(Design.voting_ends_at.asc(), Design.id.asc())
    elif view is GalleryView.NEWEST:
        query = query.where(Design.state.in_(PUBLIC_STATES)).order_by(
            Design.published_at.desc(), Design.id.desc()
        )
    elif view is GalleryView.TOP:
        query = query.where(Design.state.in_(PUBLIC_STATES)).order_by(
            rank_expression(mean_score(session)).desc(), Design.vote_count.desc(), Design.id.desc()
        )
    else:
        query = query.where(Design.state == DesignState.ON_SALE).order_by(
            Design.published_at.desc(), Design.id.desc()
        )
    if search.strip():
        query = _search(query, search)
    if tag:
        query = query.where(Design.tags.any(Tag.name == tag))
    page = max(page, 1)
    rows = (
        session.scalars(_with_relations(query).limit(per_page + 1).offset((page - 1) * per_page))
        .unique()
        .all()
    )
    return Page(items=list(rows[:per_page]), page=page, has_next=len(rows) > per_page)


def designs_of(session: Session, designer_id: int, *, public_only: bool) -> list[Design]:
    query = select(Design).where(Design.designer_id == designer_id)
    if public_only:
        query = query.where(Design.state.in_(PUBLIC_STATES))
    query = query.order_by(Design.updated_at.desc(), Design.id.desc())
    return list(session.scalars(_with_relations(query)).unique().all())


def screening_queue(session: Session) -> list[Design]:
    query = (
        select(Design)
        .where(Design.state == DesignState.SUBMITTED)
        .order_by(Design.submitted_at.asc(), Design.id.asc())
    )
    # A resubmission shows the design it revises and that design's rejection reason.
    query = _with_relations(query).options(joinedload(Design.revision_of))
    return list(session.scalars(query).unique().all())


def get_design(session: Session, design_id: int) -> Design | None:
    query = _with_relations(select(Design).where(Design.id == design_id)).options(
        selectinload(Design.mockups)
    )
    return session.scalars(query).unique().one_or_none()


def voting_days_left(design: Design, now: datetime) -> int | None:
    """Whole days (rounded up) until the window closes; None when not voting or already ended
    (the close job may not have run yet)."""
    ends = design.voting_ends_at
    if design.state is not DesignState.VOTING or ends is None or voting_ended(design, now):
        return None
    return int(-(-(ends - now).total_seconds() // 86400))


def voting_time_left(design: Design, now: datetime) -> timedelta | None:
    """How long voting stays open after `now`; None when not voting or already ended."""
    ends = design.voting_ends_at
    if design.state is not DesignState.VOTING or ends is None or voting_ended(design, now):
        return None
    return ends - now


def popular_tags(session: Session, limit: int = 20) -> list[tuple[str, int]]:
    query = (
        select(Tag.name, func.count())
        .join(design_tags, design_tags.c.tag_id == Tag.id)
        .join(Design, Design.id == design_tags.c.design_id)
        .where(Design.state.in_(PUBLIC_STATES))
        .group_by(Tag.name)
        .order_by(func.count().desc(), Tag.name)
        .limit(limit)
    )
    return [(name, count) for name, count in session.execute(query)]
