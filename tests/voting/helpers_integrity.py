"""Votes for the integrity tests, made without the vote service: a Vote row, the design's
counters moved by counters.apply (as the service does), then the integrity assessment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.designs.models import Design
from cocreate.voting import counters, integrity
from cocreate.voting.flag_models import FlagState, VoteFlag
from cocreate.voting.models import DesignIntent, Vote, VoteSignal
from tests.accounts.factories import UserFactory
from tests.designs.factories import VotingDesignFactory

#: The default VOTING_PRIOR_WEIGHT (C) of the test app.
PRIOR = 20
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
#: Long before T0: an account this old is never "new".
OLD = T0 - timedelta(days=365)
ADDRESS = "a" * 64
OTHER_ADDRESS = "b" * 64


def member(created_at: datetime = OLD, **fields: object) -> User:
    user: User = UserFactory(created_at=created_at, **fields)
    return user


def design(designer: User | None = None, **fields: object) -> Design:
    made: Design = VotingDesignFactory(designer=designer or member(), **fields)
    return made


def cast(
    session: Session,
    on: Design,
    voter: User,
    score: int = 4,
    *,
    at: datetime = T0,
    ip_hash: str = "",
    size: str = "",
    assess: bool = True,
) -> Vote:
    """A new vote by `voter` on `on`, cast at `at` (with "I'd buy it" a tee when `size`)."""
    vote = Vote(
        design_id=on.id,
        voter_id=voter.id,
        score=score,
        buy=bool(size),
        product="tee" if size else "",
        size=size,
        created_at=at,
        updated_at=at,
        ip_hash=ip_hash,
    )
    session.add(vote)
    session.flush()
    counters.apply(session, on.id, counters.NONE, counters.effect_of(vote), prior_weight=PRIOR)
    if assess:
        integrity.assess(session, vote, now=at)
    return vote


def flags(session: Session) -> list[tuple[int, VoteSignal, int, int, FlagState]]:
    """Every flag as (vote id, signal, count, window minutes, state), in vote order."""
    rows = session.execute(
        select(
            VoteFlag.vote_id,
            VoteFlag.signal,
            VoteFlag.count,
            VoteFlag.window_minutes,
            VoteFlag.state,
        ).order_by(VoteFlag.vote_id, VoteFlag.signal)
    ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def totals(session: Session, on: Design) -> tuple[int, int, int, float]:
    """The design's stored (vote_count, score_sum, buy_intent_count, rank_score)."""
    row = session.execute(
        select(
            Design.vote_count, Design.score_sum, Design.buy_intent_count, Design.rank_score
        ).where(Design.id == on.id)
    ).one()
    return (row.vote_count, row.score_sum, row.buy_intent_count, round(row.rank_score, 6))


def intents(session: Session, on: Design) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(DesignIntent.product, DesignIntent.size, DesignIntent.count).where(
            DesignIntent.design_id == on.id
        )
    ).all()
    return {(product, size): count for product, size, count in rows}
