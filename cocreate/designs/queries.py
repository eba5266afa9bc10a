"""Read side of designs: the gallery's views, search, tags, a designer's designs.

Every listing runs a constant number of queries whatever the page size: designers are joined,
tags and products are loaded with one `selectin` query each.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, event, func, select
from sqlalchemy.orm import (
    Session,
    UOWTransaction,
    defer,
    joinedload,
    raiseload,
    selectinload,
)

from cocreate.accounts.models import User
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


def _for_cards(query: Select[Design]) -> Select[Design]:
    """What a design card shows (designs/_card.html): the design's own columns and its
    designer's name. Tags, products and mockups are not loaded, and raise if a card reads them
    (a query per card would come silently otherwise); long texts no card shows are not read."""
    return query.options(
        joinedload(Design.designer).load_only(User.id, User.display_name, raiseload=True),
        raiseload(Design.tags),
        raiseload(Design.products),
        raiseload(Design.mockups),
        defer(Design.description, raiseload=True),
        defer(Design.search_text, raiseload=True),
        defer(Design.state_reason, raiseload=True),
    )


#: Words of a search beyond this many are ignored: each one is another LIKE on every row.
MAX_SEARCH_TERMS = 6


def search_terms(text: str) -> list[str]:
    """The folded words of a search ("Inès  Évaluation" → ["ines", "evaluation"])."""
    return fold(text).split()[:MAX_SEARCH_TERMS]


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(terms: list[str], checked: Checked) -> ColumnElement[bool]:
    """Every word appears in the design's folded designer name, title or tags.

    Matched in a subquery on `search_text` alone, read once per search: SQLite reads the narrow
    ix_designs_search_text index instead of the wide table rows, PostgreSQL its trigram index.
    On SQLite the design's id is only checked against it (see `_listing_filters`): it does not
    start from the matches (thousands for a common word, each fetched, then all sorted) but
    walks ix_designs_published_at_id_state newest first and stops at the page's last match.
    """
    likes = [Design.search_text.like(_like_pattern(term), escape="\\") for term in terms]
    return checked(Design.id).in_(select(Design.id).where(*likes))


def _in_tag(slug: str) -> ColumnElement[bool]:
    # IN a list of the tag's designs, not EXISTS per design: the database reads the tag's
    # designs by ix_design_tags_tag_id instead of testing every design of the view in turn.
    tagged = (
        select(design_tags.c.design_id)
        .join(Tag, Tag.id == design_tags.c.tag_id)
        .where(Tag.slug == slug)
    )
    return Design.id.in_(tagged)


Checked = Callable[[SQLColumnExpression[Any]], SQLColumnExpression[Any]]


def _bare(column: SQLColumnExpression[Any]) -> SQLColumnExpression[Any]:
    return column


def _unindexed(column: SQLColumnExpression[Any]) -> SQLColumnExpression[Any]:
    return func.coalesce(column, None)


def _listing_filters(dialect: str) -> Checked:
    """How a condition the view's index does not serve is written: on SQLite, as an expression
    no index serves (`coalesce(column, NULL)`), so it is only checked on the rows the view's
    index yields in order until the page is full. Left bare, it lures SQLite onto another
    index followed by a sort of every match whenever the database has no statistics (nobody
    ran ANALYZE, the usual case): "Voting now" then sorted every open design, "Top" every
    public one. PostgreSQL keeps its statistics up to date itself and plans better with bare
    columns (it would lose its estimates of an expression).
    """
    return _unindexed if dialect == "sqlite" else _bare


def page_ids(
    view: GalleryView = GalleryView.VOTING,
    *,
    search: str = "",
    tag: str | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    now: datetime,
    dialect: str,
) -> tuple[Select[int], tuple[ColumnElement[Any], ...]]:
    """The listing query: the ids of one page of `view` (one more than `per_page`, to tell
    whether a next page exists), and its order. `dialect` is the database's ("sqlite", …).

    Each view reads an index already in its order and stops at the page's end, whatever the
    number of designs (tests/designs/test_gallery_speed_plans.py checks each plan):

    * voting, on sale: ix_designs_state_published_at_id (one state, newest first);
    * ending: ix_designs_state_voting_ends_at_id (open designs, soonest end first);
    * newest, a search: ix_designs_published_at_id_state (newest first, the state read from
      the index itself);
    * top: ix_designs_rank backwards (the stored Bayesian average).

    Ties are broken by id, the last column of each index: of two designs published at the same
    instant the one created last comes first; of two equal ranks the one with more votes, then
    the newer.
    """
    checked = _listing_filters(dialect)
    voting = Design.state == DesignState.VOTING
    # Every public design was published (voting opened) and drafts never were: saying so lets
    # PostgreSQL, whose descending order puts NULLs first, skip the unpublished at once.
    public: list[ColumnElement[bool]] = [
        Design.published_at.is_not(None),
        checked(Design.state).in_(PUBLIC_STATES),
    ]
    newest: tuple[ColumnElement[Any], ...] = (Design.published_at.desc(), Design.id.desc())
    order: tuple[ColumnElement[Any], ...]
    where: list[ColumnElement[bool]]
    terms = search_terms(search)
    if terms:
        where, order = [*public, _matches(terms, checked)], newest
    elif view is GalleryView.VOTING:
        where, order = [voting, checked(Design.voting_ends_at) > now], newest
    elif view is GalleryView.ENDING:
        where = [voting, Design.voting_ends_at > now]
        order = (Design.voting_ends_at.asc(), Design.id.asc())
    elif view is GalleryView.NEWEST:
        where, order = public, newest
    elif view is GalleryView.TOP:
        where = [checked(Design.state).in_(PUBLIC_STATES)]
        # The stored Bayesian average (kept by the voting module): no ranking per request.
        order = (Design.rank_score.desc(), Design.vote_count.desc(), Design.id.desc())
    else:
        where, order = [Design.state == DesignState.ON_SALE], newest
    if tag:
        where.append(_in_tag(tag))
    query = (
        select(Design.id)
        .where(*where)
        .order_by(*order)
        .limit(per_page + 1)
        .offset((max(page, 1) - 1) * per_page)
    )
    return query, order


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
    page = max(page, 1)
    ids, order = page_ids(
        view,
        search=search,
        tag=tag,
        page=page,
        per_page=per_page,
        now=now,
        dialect=session.get_bind().dialect.name,
    )
    # Sort and cut the page on ids alone, then read those rows: SQLite sorts whole records, so
    # sorting every public design with all its columns took 70 ms at 20,000 designs, against
    # under 1 ms on ids (bench/search.py). Still one query, plus none per card (_for_cards).
    query = select(Design).where(Design.id.in_(ids.scalar_subquery())).order_by(*order)
    rows = session.scalars(_for_cards(query)).unique().all()
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
    """(slug, name, number of public designs) of the most used tags.

    Counted from the public designs' ids (the covering state index) through design_tags' primary
    key, then joined to the few tags kept: walking every tag's designs instead took 60 ms at
    10,000 designs on SQLite, this 7 ms. Pages read it through `PopularTagsCache`.
    """
    public = select(Design.id).where(Design.state.in_(PUBLIC_STATES))
    counts = (
        select(design_tags.c.tag_id, func.count().label("n"))
        .where(design_tags.c.design_id.in_(public))
        .group_by(design_tags.c.tag_id)
        .subquery()
    )
    query = (
        select(Tag.slug, Tag.name, counts.c.n)
        .join(counts, counts.c.tag_id == Tag.id)
        .order_by(counts.c.n.desc(), Tag.slug)
        .limit(limit)
    )
    return [(slug, name, count) for slug, name, count in session.execute(query)]


TagCounts = list[tuple[str, str, int]]


class PopularTagsCache:
    """The popular tags, counted at most once per `ttl` seconds by each app process.

    Counting is a GROUP BY over every tagged public design (tens of milliseconds at 10,000
    designs, on every gallery page). A cache rather than a count table kept up to date: the
    counts move with every state change (a design going public or private) and every tag edit,
    so a table would need hooks in the lifecycle and the services, a backfill, and could drift;
    a tag cloud may well be a minute late. Entries are also dropped as soon as this process
    flushes a change to any design or tag (`_ChangeCount`), so a designer sees their own new tag
    at once, and tests, which make every change in the test process, never see a stale count.
    """

    def __init__(self) -> None:
        #: limit → (tags, counted at, change number when counting began).
        self._entries: dict[int, tuple[TagCounts, datetime, int]] = {}

    def get(self, session: Session, *, now: datetime, ttl: int, limit: int = 20) -> TagCounts:
        entry = self._entries.get(limit)
        if entry is not None and ttl > 0:
            tags, counted_at, change = entry
            if change == _changes.number and counted_at <= now < counted_at + timedelta(
                seconds=ttl
            ):
                return tags
        # Read before counting: a change flushed while counting makes this entry stale at once.
        change = _changes.number
        tags = popular_tags(session, limit)
        self._entries[limit] = (tags, now, change)
        return tags


class _ChangeCount:
    """Moves on whenever this process flushes, commits or rolls back a change to a design or a
    tag: cached tag counts older than the current number are stale."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.number = 0

    def bump(self) -> None:
        self.number = next(self._counter)  # next() on a count is atomic under the GIL


_changes = _ChangeCount()
_TAGS_CHANGED = "cocreate.designs.tags_changed"


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _flush: UOWTransaction) -> None:
    # After a flush the session still lists what it flushed (new, dirty, deleted).
    touched = itertools.chain(session.new, session.dirty, session.deleted)
    if any(isinstance(obj, Design | Tag) for obj in touched):
        session.info[_TAGS_CHANGED] = True
        _changes.bump()


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _note_end(session: Session) -> None:
    # Again at the end of the transaction: another request may have counted between the flush
    # and the commit, while the change was not yet visible to it.
    if session.info.pop(_TAGS_CHANGED, False):
        _changes.bump()


def tag_by_slug(session: Session, slug: str) -> Tag | None:
    return session.scalars(select(Tag).where(Tag.slug == slug)).one_or_none()
