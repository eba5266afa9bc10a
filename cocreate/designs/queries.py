"""Read side of designs: the gallery's views, search, tags, a designer's designs.

Every listing runs a constant number of queries whatever the page size: designers are joined,
tags and products are loaded with one `selectin` query each. A gallery page is one query: its
cards show neither tags nor products (CARD_COLUMNS), and each view reads its rows from an
index in its own order (`_listing`). The popular tags beside it are in tag_cloud.py.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    SQLColumnExpression,
    bindparam,
    func,
    select,
)
from sqlalchemy.orm import (
    Session,
    joinedload,
    load_only,
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


#: What a design card (designs/_card.html) may read of a design: its own short columns, the
#: counters, and its designer's name. The rest is not loaded and raises if read, so a card that
#: starts showing more fails its tests instead of costing a query per card; add it here then.
CARD_COLUMNS = (
    Design.id,
    Design.designer_id,
    Design.title,
    Design.state,
    Design.published_at,
    Design.voting_ends_at,
    Design.thumb_webp_key,
    Design.thumb_jpeg_key,
    Design.width,
    Design.height,
    Design.vote_count,
    Design.score_sum,
    Design.buy_intent_count,
    Design.rank_score,
    Design.comment_count,
)
#: Built once: making loader options is a fair part of a listing's Python time.
_CARD_OPTIONS = (
    load_only(*CARD_COLUMNS, raiseload=True),
    joinedload(Design.designer).load_only(User.id, User.display_name, raiseload=True),
    raiseload(Design.tags),
    raiseload(Design.products),
    raiseload(Design.mockups),
    raiseload(Design.revision_of),
)


def _for_cards(query: Select[Design]) -> Select[Design]:
    """Each design with what its card shows, in the same query (see CARD_COLUMNS)."""
    return query.options(*_CARD_OPTIONS)


#: Words of a search beyond this many are ignored: each one is another LIKE on every row.
MAX_SEARCH_TERMS = 6


def search_terms(text: str) -> list[str]:
    """The folded words of a search ("Inès  Évaluation" → ["ines", "evaluation"])."""
    return fold(text).split()[:MAX_SEARCH_TERMS]


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


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


def _matches(words: int, checked: Checked) -> ColumnElement[bool]:
    """Every word appears in the design's folded designer name, title or tags.

    Matched in a subquery on `search_text` alone, read once per search: SQLite reads the narrow
    ix_designs_search_text index instead of the wide table rows, PostgreSQL its trigram index.
    On SQLite the design's id is only checked against it (see `_listing_filters`): it does not
    start from the matches (thousands for a common word, each fetched, then all sorted) but
    walks ix_designs_published_at_id_state newest first and stops at the page's last match.
    """
    likes = [
        Design.search_text.like(bindparam(f"gallery_word_{n}"), escape="\\") for n in range(words)
    ]
    return checked(Design.id).in_(select(Design.id).where(*likes))


def _in_tag() -> ColumnElement[bool]:
    # IN a list of the tag's designs, not EXISTS per design: the database reads the tag's
    # designs by ix_design_tags_tag_id instead of testing every design of the view in turn.
    tagged = (
        select(design_tags.c.design_id)
        .join(Tag, Tag.id == design_tags.c.tag_id)
        .where(Tag.slug == bindparam("gallery_tag"))
    )
    return Design.id.in_(tagged)


@dataclass(frozen=True)
class _Listing:
    #: The listing query: one page of ids in the view's order (one more than a page, to tell
    #: whether a next page exists).
    ids: Select[int]
    #: Those designs, as their cards need them, in the same order.
    designs: Select[Design]


@functools.cache
def _listing(
    view: GalleryView, tagged: bool, words: int, dialect: str, open_scores: bool
) -> _Listing:
    """The statements of one kind of gallery page, built once per process: what varies from
    one request to the next (the instant, the tag, the words, the page) is bound at execution.
    Building a statement, its loader options and its cache key cost as much Python time as
    running it.

    Each view reads an index already in its order and stops at the page's end, whatever the
    number of designs (tests/designs/test_gallery_speed_plans.py checks each plan):

    * voting, on sale: ix_designs_state_published_at_id (one state, newest first);
    * ending: ix_designs_state_voting_ends_at_id (open designs, soonest end first);
    * newest, a search: ix_designs_published_at_id_state (newest first, the state read from
      the index itself);
    * top: ix_designs_rank backwards (the stored Bayesian average, kept by the voting module).
      Without `open_scores` (herding, DESIGN.md) it leaves out designs still in voting: their
      order would tell a voter how the others scored them before they vote.

    Ties are broken by id, the last column of each index: of two designs published at the same
    instant the one created last comes first; of two equal ranks the one with more votes, then
    the newer.
    """
    checked = _listing_filters(dialect)
    now = bindparam("gallery_now", type_=Design.voting_ends_at.type)
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
    if words:
        where, order = [*public, _matches(words, checked)], newest
    elif view is GalleryView.VOTING:
        where, order = [voting, checked(Design.voting_ends_at) > now], newest
    elif view is GalleryView.ENDING:
        where = [voting, Design.voting_ends_at > now]
        order = (Design.voting_ends_at.asc(), Design.id.asc())
    elif view is GalleryView.NEWEST:
        where, order = public, newest
    elif view is GalleryView.TOP:
        ranked = PUBLIC_STATES if open_scores else PUBLIC_STATES - {DesignState.VOTING}
        where = [checked(Design.state).in_(ranked)]
        order = (Design.rank_score.desc(), Design.vote_count.desc(), Design.id.desc())
    else:
        where, order = [Design.state == DesignState.ON_SALE], newest
    if tagged:
        where.append(_in_tag())
    ids = (
        select(Design.id)
        .where(*where)
        .order_by(*order)
        .limit(bindparam("gallery_limit", type_=Integer))
        .offset(bindparam("gallery_offset", type_=Integer))
    )
    # Sort and cut the page on ids alone, then read those rows: SQLite sorts whole records, so
    # sorting every public design with all its columns took 70 ms at 20,000 designs, against
    # under 1 ms on ids (bench/search.py). Still one query, plus none per card (_for_cards).
    designs = _for_cards(
        select(Design).where(Design.id.in_(ids.scalar_subquery())).order_by(*order)
    )
    return _Listing(ids=ids, designs=designs)


def _prepared(
    view: GalleryView,
    *,
    search: str,
    tag: str | None,
    page: int,
    per_page: int,
    now: datetime,
    dialect: str,
    open_scores: bool,
) -> tuple[_Listing, dict[str, Any]]:
    words = search_terms(search)
    # A search looks through every public design, newest first, whatever the tab.
    listing = _listing(
        GalleryView.NEWEST if words else view, bool(tag), len(words), dialect, open_scores
    )
    values: dict[str, Any] = {
        "gallery_now": now,
        "gallery_limit": per_page + 1,
        "gallery_offset": (page - 1) * per_page,
        **{f"gallery_word_{n}": _like_pattern(word) for n, word in enumerate(words)},
    }
    if tag:
        values["gallery_tag"] = tag
    return listing, values


def page_ids(
    view: GalleryView = GalleryView.VOTING,
    *,
    search: str = "",
    tag: str | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    now: datetime,
    dialect: str,
    open_scores: bool = False,
) -> Select[int]:
    """The listing query of a gallery page with its values, for EXPLAIN (`gallery` runs the
    same statement with the values bound at execution). `dialect`: "sqlite", "postgresql"."""
    listing, values = _prepared(
        view, search=search, tag=tag, page=max(page, 1), per_page=per_page, now=now,
        dialect=dialect, open_scores=open_scores,
    )  # fmt: skip
    return listing.ids.params(values)


def gallery(
    session: Session,
    view: GalleryView = GalleryView.VOTING,
    *,
    search: str = "",
    tag: str | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    now: datetime,
    open_scores: bool = False,
) -> Page:
    """One page of `view`; "open" means voting and not yet ended at `now` (the caller's clock).
    `open_scores`: whether anyone may see how designs still in voting score (the opposite of
    VOTING_HIDE_SCORE_UNTIL_VOTED); without it "top" ranks only designs whose voting is over.

    A search ignores the view: it looks through every public design, newest first, since
    someone searching for a design cannot know which tab it is in.
    """
    page = max(page, 1)
    listing, values = _prepared(
        view, search=search, tag=tag, page=page, per_page=per_page, now=now,
        dialect=session.get_bind().dialect.name, open_scores=open_scores,
    )  # fmt: skip
    rows = session.scalars(listing.designs, values).unique().all()
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


def tag_by_slug(session: Session, slug: str) -> Tag | None:
    return session.scalars(select(Tag).where(Tag.slug == slug)).one_or_none()
