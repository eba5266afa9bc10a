"""Reading votes back: a design's results, its buy intent by size, the voter-normalised score.

The ranking itself (the Bayesian average) is stored on the design by counters.py; what is
here is computed when a page asks for it, each in one query.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Float, cast, func, select
from sqlalchemy.orm import Session

from cocreate.catalogue import products as catalogue
from cocreate.voting.counters import STATS_ID
from cocreate.voting.models import DesignIntent, RankingStats, Vote, VoteSignal

SCORES = (1, 2, 3, 4, 5)


def average(score_sum: int, vote_count: int) -> float | None:
    """The plain mean of counted scores; None before the first vote."""
    return score_sum / vote_count if vote_count else None


@dataclass(frozen=True)
class Results:
    """How a design's number was made: counted scores, and the votes staff discounted."""

    #: Counted votes of each score, 1 to 5 (zeros included).
    distribution: dict[int, int]
    #: Discounted votes by the category staff gave, only the categories that occur.
    discounted: dict[VoteSignal, int] = field(default_factory=dict)

    @property
    def counted(self) -> int:
        return sum(self.distribution.values())

    @property
    def score_sum(self) -> int:
        return sum(score * n for score, n in self.distribution.items())

    @property
    def average(self) -> float | None:
        return average(self.score_sum, self.counted)

    @property
    def discounted_total(self) -> int:
        return sum(self.discounted.values())

    def share(self, score: int) -> float:
        """The fraction of counted votes that gave `score` (0 without votes), for the bars."""
        return self.distribution[score] / self.counted if self.counted else 0.0


def results(session: Session, design_id: int) -> Results:
    """One grouped query over the design's votes."""
    rows = session.execute(
        select(Vote.counted, Vote.discount_category, Vote.score, func.count())
        .where(Vote.design_id == design_id)
        .group_by(Vote.counted, Vote.discount_category, Vote.score)
    ).all()
    distribution = dict.fromkeys(SCORES, 0)
    by_category: dict[VoteSignal, int] = {}
    for counted, category, score, n in rows:
        if counted:
            distribution[score] += n
        else:
            key = category or VoteSignal.OTHER
            by_category[key] = by_category.get(key, 0) + n
    # In the enum's order, so the page lists categories the same way on every design.
    discounted = {c: by_category[c] for c in VoteSignal if c in by_category}
    return Results(distribution=distribution, discounted=discounted)


@dataclass(frozen=True)
class Intent:
    product: str
    size: str
    count: int


def intents(session: Session, design_id: int) -> list[Intent]:
    """Counted "I'd buy it" by product and size, in catalogue order, sizes without any left out."""
    rows = session.execute(
        select(DesignIntent.product, DesignIntent.size, DesignIntent.count).where(
            DesignIntent.design_id == design_id, DesignIntent.count > 0
        )
    ).all()
    return sorted((Intent(*row) for row in rows), key=_catalogue_order)


def intents_by_design(session: Session, design_ids: Collection[int]) -> dict[int, list[Intent]]:
    """`intents` of several designs in one query (the review queue's page)."""
    result: dict[int, list[Intent]] = {design_id: [] for design_id in design_ids}
    if not result:
        return result
    rows = session.execute(
        select(
            DesignIntent.design_id, DesignIntent.product, DesignIntent.size, DesignIntent.count
        ).where(DesignIntent.design_id.in_(result), DesignIntent.count > 0)
    ).all()
    for design_id, product, size, count in rows:
        result[design_id].append(Intent(product, size, count))
    for listed in result.values():
        listed.sort(key=_catalogue_order)
    return result


def _catalogue_order(intent: Intent) -> tuple[int, int, str, str]:
    return catalogue_order(intent.product, intent.size)


def catalogue_order(product: str, size: str) -> tuple[int, int, str, str]:
    """A sort key: products and their sizes as the catalogue lists them (M before L); a product
    or size the catalogue dropped comes after the ones it still has."""
    keys = catalogue.product_keys()
    if product in keys:
        product_index = keys.index(product)
        sizes = [s.key for s in catalogue.get(product).sizes]
    else:
        product_index, sizes = len(keys), []
    size_index = sizes.index(size) if size in sizes else len(sizes)
    return (product_index, size_index, product, size)


def normalised_scores(session: Session, design_ids: Collection[int]) -> dict[int, float | None]:
    """Each counted vote's score minus its voter's mean over all their counted votes, averaged
    per design (None for a design without counted votes).

    A harsh voter's 2 and a generous voter's 5 both mean "my usual": centred on each voter's own
    mean they weigh alike, and 0 means "as liked as these voters' average design".
    """
    ids = list(design_ids)
    if not ids:
        return {}
    voters = select(Vote.voter_id).where(Vote.design_id.in_(ids))
    voter_mean = (
        select(Vote.voter_id, func.avg(cast(Vote.score, Float)).label("mean"))
        .where(Vote.counted.is_(True), Vote.voter_id.in_(voters))
        .group_by(Vote.voter_id)
        .subquery()
    )
    rows = session.execute(
        select(Vote.design_id, func.avg(cast(Vote.score, Float) - voter_mean.c.mean))
        .join(voter_mean, voter_mean.c.voter_id == Vote.voter_id)
        .where(Vote.design_id.in_(ids), Vote.counted.is_(True))
        .group_by(Vote.design_id)
    ).all()
    scores: dict[int, float | None] = dict.fromkeys(ids)
    scores.update((design_id, float(value)) for design_id, value in rows)
    return scores


def refreshed_at(session: Session) -> datetime | None:
    """When the mean score m was last refreshed (None before the first refresh)."""
    return session.scalar(select(RankingStats.refreshed_at).where(RankingStats.id == STATS_ID))
