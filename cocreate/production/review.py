"""The review queue's read side: closed designs waiting for staff to approve or decline them.

Ranked by the stored Bayesian score (or votes, buy intent, time waited), filtered by product,
how recently voting closed and tag, a page at a time. Each design comes with what staff judge
it by: counted votes and their distribution, the voter-normalised score, buy intent by product
and size, comments, open fraud flags, and how long it has waited since voting closed.

A page costs a fixed number of queries whatever its size: the page itself (designer joined),
its mockups and tags (one `selectin` each), then one grouped query each for the score
distribution, the normalised score, buy intent and flags, over the page's ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from cocreate.catalogue import products as catalogue
from cocreate.designs.models import (
    Design,
    DesignProduct,
    DesignState,
    DesignTransition,
    Tag,
    design_tags,
)
from cocreate.voting import ranking
from cocreate.voting.flag_models import FlagState, VoteFlag
from cocreate.voting.models import Vote

#: Designs per page.
PER_PAGE = 20
#: Deeper pages are clamped: huge offsets only cost the database.
MAX_PAGE = 1000
#: The period filter: closed within this many days (or any time).
PERIODS = (7, 30, 90)


class QueueSort(StrEnum):
    #: The Bayesian average (Design.rank_score), then votes.
    RANK = "rank"
    #: Counted votes.
    VOTES = "votes"
    #: Counted "I'd buy it" votes.
    INTENT = "intent"
    #: Voting closed longest ago first.
    WAITING = "waiting"


@dataclass(frozen=True)
class QueueFilters:
    product: str | None = None
    #: Closed within this many days (one of PERIODS); None for any time.
    period: int | None = None
    #: A tag's slug.
    tag: str | None = None
    sort: QueueSort = QueueSort.RANK
    page: int = 1

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> QueueFilters:
        """From the query string; an unknown value is ignored (the default applies)."""
        product = args.get("product", "")
        period = args.get("period", "")
        sort = args.get("sort", "")
        try:
            page = int(args.get("page", "1"))
        except ValueError:
            page = 1
        return cls(
            product=product if catalogue.is_product(product) else None,
            period=int(period) if period in {str(days) for days in PERIODS} else None,
            tag=(args.get("tag") or "").strip()[:40] or None,
            sort=QueueSort(sort) if sort in QueueSort._value2member_map_ else QueueSort.RANK,
            page=min(max(page, 1), MAX_PAGE),
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """For url_for: these filters, with `changes` (a new sort goes back to page 1)."""
        values: dict[str, Any] = {
            "product": self.product,
            "period": self.period,
            "tag": self.tag,
            "sort": self.sort.value if self.sort is not QueueSort.RANK else None,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class QueueItem:
    design: Design
    #: When voting closed (its move to closed; the window's end for a design without one).
    closed_at: datetime
    waited: timedelta
    #: Waited more than the setting (REVIEW_WAIT_DAYS): highlighted.
    overdue: bool
    #: Counted votes of each score, 1 to 5.
    distribution: dict[int, int]
    #: Voting's voter-normalised score (None without counted votes).
    normalised: float | None
    intents: list[ranking.Intent]
    #: Votes with an open fraud flag.
    flagged: int

    @property
    def counted(self) -> int:
        return sum(self.distribution.values())

    def share(self, score: int) -> float:
        return self.distribution[score] / self.counted if self.counted else 0.0

    @property
    def intent_by_product(self) -> dict[str, list[ranking.Intent]]:
        grouped: dict[str, list[ranking.Intent]] = {}
        for intent in self.intents:
            grouped.setdefault(intent.product, []).append(intent)
        return grouped


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    filters: QueueFilters
    has_next: bool
    #: Closed designs (whatever the filters) that waited more than `wait_days`.
    overdue: int
    wait_days: int
    tags: list[tuple[str, str]] = field(default_factory=list)

    @property
    def page(self) -> int:
        return self.filters.page


def _closed_at() -> ColumnElement[datetime]:
    """When each closed design's voting closed: its latest move to closed. A design with no
    such row (made by hand or imported) counts from its window's end, else its creation."""
    # Correlated: read from ix_design_transitions_design_id for each closed design only.
    moved = (
        select(func.max(DesignTransition.created_at))
        .where(
            DesignTransition.design_id == Design.id,
            DesignTransition.to_state == DesignState.CLOSED,
        )
        .correlate(Design)
        .scalar_subquery()
    )
    return func.coalesce(moved, Design.voting_ends_at, Design.created_at)


def overdue_cutoff(now: datetime, wait_days: int) -> datetime:
    """Closed before this instant: waited more than `wait_days` (exactly `wait_days` is not)."""
    return now - timedelta(days=wait_days)


def overdue_count(session: Session, *, now: datetime, wait_days: int) -> int:
    """Closed designs that have waited more than `wait_days` (the queue's and the desk's
    count)."""
    count = session.scalar(
        select(func.count())
        .select_from(Design)
        .where(Design.state == DesignState.CLOSED, _closed_at() < overdue_cutoff(now, wait_days))
    )
    return count or 0


def waiting_count(session: Session) -> int:
    count = session.scalar(
        select(func.count()).select_from(Design).where(Design.state == DesignState.CLOSED)
    )
    return count or 0


def _order(sort: QueueSort, closed_at: ColumnElement[datetime]) -> tuple[ColumnElement[Any], ...]:
    if sort is QueueSort.VOTES:
        return (Design.vote_count.desc(), Design.rank_score.desc(), Design.id.desc())
    if sort is QueueSort.INTENT:
        return (Design.buy_intent_count.desc(), Design.rank_score.desc(), Design.id.desc())
    if sort is QueueSort.WAITING:
        return (closed_at.asc(), Design.id.asc())
    return (Design.rank_score.desc(), Design.vote_count.desc(), Design.id.desc())


def review_queue(
    session: Session,
    filters: QueueFilters,
    *,
    now: datetime,
    wait_days: int,
    per_page: int = PER_PAGE,
) -> QueuePage:
    closed_at = _closed_at().label("closed_at")
    where: list[ColumnElement[bool]] = [Design.state == DesignState.CLOSED]
    if filters.product:
        where.append(Design.products.any(DesignProduct.product == filters.product))
    if filters.period:
        where.append(closed_at >= now - timedelta(days=filters.period))
    if filters.tag:
        where.append(Design.tags.any(Tag.slug == filters.tag))
    rows = session.execute(
        select(Design, closed_at)
        .where(*where)
        .order_by(*_order(filters.sort, closed_at))
        .offset((filters.page - 1) * per_page)
        .limit(per_page + 1)
        .options(
            joinedload(Design.designer), selectinload(Design.mockups), selectinload(Design.tags)
        )
    ).all()
    listed = rows[:per_page]
    ids = [design.id for design, _at in listed]
    distributions = _distributions(session, ids)
    normalised = ranking.normalised_scores(session, ids)
    intents = ranking.intents_by_design(session, ids)
    flagged = _flagged(session, ids)
    cutoff = overdue_cutoff(now, wait_days)
    items = [
        QueueItem(
            design=design,
            closed_at=at,
            waited=now - at,
            overdue=at < cutoff,
            distribution=distributions[design.id],
            normalised=normalised.get(design.id),
            intents=intents[design.id],
            flagged=flagged.get(design.id, 0),
        )
        for design, at in listed
    ]
    return QueuePage(
        items=items,
        filters=filters,
        has_next=len(rows) > per_page,
        overdue=overdue_count(session, now=now, wait_days=wait_days),
        wait_days=wait_days,
        tags=tag_choices(session),
    )


def _distributions(session: Session, ids: list[int]) -> dict[int, dict[int, int]]:
    result = {design_id: dict.fromkeys(ranking.SCORES, 0) for design_id in ids}
    if ids:
        rows = session.execute(
            select(Vote.design_id, Vote.score, func.count())
            .where(Vote.design_id.in_(ids), Vote.counted.is_(True))
            .group_by(Vote.design_id, Vote.score)
        )
        for design_id, score, count in rows:
            result[design_id][score] = count
    return result


def _flagged(session: Session, ids: list[int]) -> dict[int, int]:
    """Votes of each design with at least one open flag (a vote two signals flagged counts
    once)."""
    if not ids:
        return {}
    rows = session.execute(
        select(Vote.design_id, func.count(distinct(VoteFlag.vote_id)))
        .join(Vote, Vote.id == VoteFlag.vote_id)
        .where(Vote.design_id.in_(ids), VoteFlag.state == FlagState.OPEN)
        .group_by(Vote.design_id)
    )
    return {design_id: count for design_id, count in rows}


def tag_choices(session: Session) -> list[tuple[str, str]]:
    """(slug, name) of the tags closed designs carry, by name: the tag filter's choices."""
    rows = session.execute(
        select(Tag.slug, Tag.name)
        .join(design_tags, design_tags.c.tag_id == Tag.id)
        .join(Design, Design.id == design_tags.c.design_id)
        .where(Design.state == DesignState.CLOSED)
        .group_by(Tag.slug, Tag.name)
        .order_by(Tag.name)
    )
    return [(slug, name) for slug, name in rows]
