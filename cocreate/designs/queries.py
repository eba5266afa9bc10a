"""Read side of designs: the gallery's views, search, tags, a designer's designs.

Every listing runs a constant number of queries whatever the page size: designers are joined,
tags and products are loaded with one `selectin` query each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from cocreate.core.inputs import fold
from cocreate.designs.lifecycle import voting_ended
from cocreate.designs.models import PUBLIC_STATES, Design, DesignState, Tag, design_tags

PAGE_SIZE = 24
#: Deeper pages are refused: nobody browses that far, and huge offsets only cost the database.
MAX_PAGE = 1000
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


def _with_relations(query: Select[Design]) -> Select[Design]:
    return query.options(
        joinedload(Design.designer), selectinload(Design.tags), selectinload(Design.products)
    )


#: Words of a search beyond this many are ignored: each one is another LIKE on every row.
MAX_SEARCH_TERMS = 6


def search_terms(text: str) -> list[str]:
    """The folded words of a search ("Inès  Évaluation" → ["ines", "evaluation"])."""
    return fold(text).split()[:MAX_SEARCH_TERMS]


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(terms: list[str]) -> ColumnElement[bool]:
    """Every word appears in the design's folded designer name, title or tags.

    Matched in a subquery on `search_text` alone: SQLite then reads the narrow
    ix_designs_search_text index instead of the wide table rows, PostgreSQL its trigram index;
    only the matching rows are fetched.
    """
    likes = [Design.search_text.like(_like_pattern(term), escape="\\") for term in terms]
    return Design.id.in_(select(Design.id).where(*likes))


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
    """One page of `view`; "open" means voting and not yet ended at `now` (the caller's clock).

    A search ignores the view: it looks through every public design, newest first, since
    someone searching for a design cannot know which tab it is in.
    """
    open_now = and_(Design.state == DesignState.VOTING, Design.voting_ends_at > now)
    newest: tuple[ColumnElement[Any], ...] = (Design.published_at.desc(), Design.id.desc())
    order: tuple[ColumnElement[Any], ...]
    where: list[ColumnElement[bool]]
    terms = search_terms(search)
    if terms:
        # NOT IN the other states, the same set: IN would make SQLite walk the state index and
        # fetch most rows one by one; this lets it start from the matches.
        where = [Design.state.not_in(set(DesignState) - PUBLIC_STATES), _matches(terms)]
        order = newest
    elif view is GalleryView.VOTING:
        where, order = [open_now], newest
    elif view is GalleryView.ENDING:
        where, order = [open_now], (Design.voting_ends_at.asc(), Design.id.asc())
    elif view is GalleryView.NEWEST:
        where, order = [Design.state.in_(PUBLIC_STATES)], newest
    elif view is GalleryView.TOP:
        where = [Design.state.in_(PUBLIC_STATES)]
        # The stored Bayesian average (kept by the voting module): ix_designs_rank read
        # backwards, no ranking computed per request.
        order = (Design.rank_score.desc(), Design.vote_count.desc(), Design.id.desc())
    else:
        where, order = [Design.state == DesignState.ON_SALE], newest
    if tag:
        where.append(Design.tags.any(Tag.slug == tag))
    page = max(page, 1)
    # Sort and cut the page on ids alone, then read those rows: SQLite sorts whole records, so
    # sorting every public design with all its columns took 70 ms at 20,000 designs, against
    # under 1 ms on ids (bench/search.py). Still one query.
    page_ids = (
        select(Design.id)
        .where(*where)
        .order_by(*order)
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    query = select(Design).where(Design.id.in_(page_ids.scalar_subquery())).order_by(*order)
    rows = session.scalars(_with_relations(query)).unique().all()
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


def popular_tags(session: Session, limit: int = 20) -> list[tuple[str, str, int]]:
    """(slug, name, number of public designs) of the most used tags."""
    query = (
        select(Tag.slug, Tag.name, func.count())
        .join(design_tags, design_tags.c.tag_id == Tag.id)
        .join(Design, Design.id == design_tags.c.design_id)
        .where(Design.state.in_(PUBLIC_STATES))
        .group_by(Tag.slug, Tag.name)
        .order_by(func.count().desc(), Tag.slug)
        .limit(limit)
    )
    return [(slug, name, count) for slug, name, count in session.execute(query)]


def tag_by_slug(session: Session, slug: str) -> Tag | None:
    return session.scalars(select(Tag).where(Tag.slug == slug)).one_or_none()
