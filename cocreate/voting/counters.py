"""The design's vote counters and rank, changed only by SQL arithmetic in the vote's transaction.

`UPDATE designs SET vote_count = vote_count + :d …` never reads a count into Python, so two
votes committed at once both count (a read-modify-write would lose one). The rank is computed
in the same statement from the old values plus the same deltas: in an UPDATE, every right-hand
side reads the row as it was before the statement, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    CursorResult,
    Float,
    Integer,
    bindparam,
    cast,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from cocreate.designs.models import PUBLIC_STATES, Design
from cocreate.voting.models import DesignIntent, RankingStats, Vote

#: The prior mean m before any vote exists: the middle of the 1–5 scale.
NEUTRAL_MEAN = 3.0
STATS_ID = 1


@dataclass(frozen=True)
class Effect:
    """What one vote adds to its design's counters (zero for a discounted vote)."""

    votes: int = 0
    score: int = 0
    buy: int = 0
    #: (product, size) of the buy intent, or None.
    intent: tuple[str, str] | None = None

    def __neg__(self) -> Effect:
        return Effect(-self.votes, -self.score, -self.buy, self.intent)


NONE = Effect()


@dataclass(frozen=True)
class Totals:
    """A design's counters and rank as its UPDATE left them (RETURNING): the caller's copy of
    the design is brought up to date from these, without reading the row again."""

    vote_count: int
    score_sum: int
    buy_intent_count: int
    rank_score: float

    def set_on(self, design: Design) -> None:
        """Write them into `design` as loaded values (not as changes to flush)."""
        for name in ("vote_count", "score_sum", "buy_intent_count", "rank_score"):
            set_committed_value(design, name, getattr(self, name))


def effect_of(vote: Vote) -> Effect:
    if not vote.counted:
        return NONE
    intent = (vote.product, vote.size) if vote.buy else None
    return Effect(1, vote.score, 1 if vote.buy else 0, intent)


def rank_value(prior_weight: int, mean: float, score_sum: int, vote_count: int) -> float:
    """(C·m + Σscores) / (C + n), in Python: what the SQL below stores, for pages and tests."""
    return (prior_weight * mean + score_sum) / (prior_weight + vote_count)


# The statements of every vote, built once: SQLAlchemy then reuses their compiled SQL and
# cache key instead of assembling a dozen expressions per vote (a third of a millisecond of
# CPU for the UPDATE alone). The values travel as bound parameters.
_new_count = Design.vote_count + bindparam("votes", type_=Integer)
_new_sum = cast(Design.score_sum + bindparam("score", type_=Integer), Float)
_prior = bindparam("prior_weight", type_=Integer)
#: The stored mean m, read by the UPDATE itself (the middle of the scale before any refresh).
_mean = func.coalesce(
    select(RankingStats.mean).where(RankingStats.id == STATS_ID).scalar_subquery(), NEUTRAL_MEAN
)
_TOTALS = (
    update(Design)
    .where(Design.id == bindparam("design_id"))
    .values(
        vote_count=_new_count,
        score_sum=Design.score_sum + bindparam("score", type_=Integer),
        buy_intent_count=Design.buy_intent_count + bindparam("buy", type_=Integer),
        rank_score=(_prior * _mean + _new_sum) / (_prior + _new_count),
        # Votes are not an edit of the design: keep `updated_at` (it orders "My designs"),
        # which the column's onupdate would otherwise move.
        updated_at=Design.updated_at,
    )
    .returning(Design.vote_count, Design.score_sum, Design.buy_intent_count, Design.rank_score)
    .execution_options(synchronize_session=False)
)
# (Bound parameters of an UPDATE's WHERE may not take the names of the table's columns.)
_MOVE_INTENT = (
    update(DesignIntent)
    .where(
        DesignIntent.design_id == bindparam("of_design"),
        DesignIntent.product == bindparam("of_product"),
        DesignIntent.size == bindparam("of_size"),
    )
    .values(count=DesignIntent.count + bindparam("delta", type_=Integer))
    .execution_options(synchronize_session=False)
)


def _apply_totals(
    session: Session, design_id: int, delta: Effect, prior_weight: int
) -> Totals | None:
    row = session.execute(
        _TOTALS,
        {
            "design_id": design_id,
            "votes": delta.votes,
            "score": delta.score,
            "buy": delta.buy,
            "prior_weight": prior_weight,
        },
    ).one_or_none()
    return None if row is None else Totals(*row)


def _apply_intent(session: Session, design_id: int, product: str, size: str, delta: int) -> None:
    """Add `delta` to one size's count, creating its row at the first buyer.

    An UPDATE, then an INSERT if no row was there: no other transaction can create the row in
    between, because `apply` has already locked the design's row (its UPDATE), and every
    writer of a design's intents goes through `apply` (on SQLite, the write lock is the
    database's). The same statements on SQLite and PostgreSQL, no dialect's upsert.
    """
    changed: CursorResult[tuple[()]] = session.execute(  # type: ignore[assignment]
        _MOVE_INTENT,
        {"of_design": design_id, "of_product": product, "of_size": size, "delta": delta},
    )
    if changed.rowcount == 0:
        # A first buyer adds 1; a negative first move (counters already off) stops at 0.
        session.execute(
            insert(DesignIntent).values(
                design_id=design_id, product=product, size=size, count=max(delta, 0)
            )
        )


def intent_moves(before: Effect, after: Effect) -> list[tuple[str, str, int]]:
    """(product, size, delta) of each size whose buy intent count changes, in a fixed order."""
    moves: dict[tuple[str, str], int] = {}
    if before.intent is not None:
        moves[before.intent] = -before.buy
    if after.intent is not None:
        moves[after.intent] = moves.get(after.intent, 0) + after.buy
    return sorted((product, size, n) for (product, size), n in moves.items() if n)


def apply(
    session: Session, design_id: int, before: Effect, after: Effect, *, prior_weight: int
) -> Totals | None:
    """Move the design's counters from `before` to `after` (a new vote: before=NONE; a
    discount: after=NONE). Flushes nothing of the ORM; the caller's transaction commits.
    Returns the design's counters as they now stand, or None when nothing moved (or no such
    design)."""
    delta = Effect(after.votes - before.votes, after.score - before.score, after.buy - before.buy)
    moves = intent_moves(before, after)
    if not (delta.votes or delta.score or delta.buy or moves):
        return None
    # The design's row first, even when only a size changes: every counter change of one
    # design then queues on that row's lock, so two transactions never take its intent rows
    # in opposite orders (PostgreSQL found that deadlock with two members swapping sizes).
    totals = _apply_totals(session, design_id, delta, prior_weight)
    for product, size, n in moves:
        _apply_intent(session, design_id, product, size, n)
    return totals


def refresh_ranking(session: Session, *, prior_weight: int, now: datetime) -> float:
    """Recompute the mean score m over public designs, store it, and re-rank every design
    whose rank it changes. A periodic job, not a per-request cost."""
    total, count = session.execute(
        select(func.sum(Design.score_sum), func.sum(Design.vote_count)).where(
            Design.state.in_(PUBLIC_STATES)
        )
    ).one()
    # No public design (NULL sums) or no vote yet: the middle of the scale.
    mean = total / count if count else NEUTRAL_MEAN
    stats = session.get(RankingStats, STATS_ID)
    if stats is None:
        session.add(RankingStats(id=STATS_ID, mean=mean, refreshed_at=now))
    else:
        stats.mean, stats.refreshed_at = mean, now
    session.flush()
    new_rank = (literal(prior_weight * mean) + cast(Design.score_sum, Float)) / (
        literal(prior_weight) + Design.vote_count
    )
    session.execute(
        update(Design)
        .where(Design.rank_score != new_rank)
        .values(rank_score=new_rank, updated_at=Design.updated_at)  # not an edit
        .execution_options(synchronize_session=False)
    )
    return mean


def stored_mean(session: Session) -> float:
    mean = session.scalar(select(RankingStats.mean).where(RankingStats.id == STATS_ID))
    return NEUTRAL_MEAN if mean is None else float(mean)


__all__ = [
    "NONE",
    "Effect",
    "Totals",
    "apply",
    "effect_of",
    "intent_moves",
    "rank_value",
    "refresh_ranking",
    "stored_mean",
]
