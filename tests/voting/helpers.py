"""Shared by the voting tests: an open design on the test clock, casting through the service,
and the counters set beside what the vote rows say."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.designs.models import Design, DesignProduct
from cocreate.voting import services
from cocreate.voting.models import DesignIntent, Vote
from tests.conftest import TEST_START
from tests.designs.factories import VotingDesignFactory

#: The window of `open_design`: opened 4 days before the test clock's start, 3 days left.
ENDS = TEST_START + timedelta(days=3)


def open_design(products: tuple[str, ...] = ("tee",), **fields: Any) -> Design:
    fields.setdefault("published_at", TEST_START - timedelta(days=4))
    fields.setdefault("voting_ends_at", ENDS)
    return VotingDesignFactory(products=[DesignProduct(product=p) for p in products], **fields)


def cast(
    session: Session,
    design: Design,
    voter: User,
    score: int = 4,
    buy: tuple[str, str] | None = None,
    *,
    now: datetime = TEST_START,
    ip_hash: str = "a" * 64,
) -> Vote:
    return services.cast_vote(
        session,
        design,
        voter,
        score=score,
        buy_choice=buy,
        ip_hash=ip_hash,
        now=now,
        settings=current_app.extensions["cocreate.config"],
    )


def counters(session: Session, design_id: int) -> tuple[int, int, int]:
    """(vote_count, score_sum, buy_intent_count) as stored on the design."""
    row = session.execute(
        select(Design.vote_count, Design.score_sum, Design.buy_intent_count).where(
            Design.id == design_id
        )
    ).one()
    return (row[0], row[1], row[2])


def from_rows(session: Session, design_id: int) -> tuple[int, int, int]:
    """The same three numbers, computed from the counted vote rows."""
    row = session.execute(
        select(
            func.count(Vote.id),
            func.coalesce(func.sum(Vote.score), 0),
            func.count(Vote.id).filter(Vote.buy.is_(True)),
        ).where(Vote.design_id == design_id, Vote.counted.is_(True))
    ).one()
    return (row[0], row[1], row[2])


def intents(session: Session, design_id: int) -> dict[tuple[str, str], int]:
    """Stored buy intent by (product, size), sizes with none left out."""
    rows = session.execute(
        select(DesignIntent.product, DesignIntent.size, DesignIntent.count).where(
            DesignIntent.design_id == design_id, DesignIntent.count != 0
        )
    ).all()
    return {(p, s): n for p, s, n in rows}


def intents_from_rows(session: Session, design_id: int) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(Vote.product, Vote.size, func.count())
        .where(Vote.design_id == design_id, Vote.counted.is_(True), Vote.buy.is_(True))
        .group_by(Vote.product, Vote.size)
    ).all()
    return {(p, s): n for p, s, n in rows}


def fresh(session: Session, design: Design) -> Design:
    """The design as stored now (counters are written by SQL behind the ORM)."""
    session.expire(design)
    return session.get_one(Design, design.id)


def seed_votes(
    session: Session,
    design: Design,
    scores: list[int],
    buys: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> list[Vote]:
    """Votes by new members, written directly, with the design's counters set to match (for
    page tests that need no request context)."""
    from tests.voting.factories import VoteFactory

    votes = [VoteFactory(design=design, score=score) for score in scores]
    for vote, (product, size) in zip(votes, buys, strict=False):
        vote.buy, vote.product, vote.size = True, product, size
        session.add(DesignIntent(design_id=design.id, product=product, size=size, count=1))
    design.vote_count += len(scores)
    design.score_sum += sum(scores)
    design.buy_intent_count += len(buys)
    session.flush()
    return votes


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """(SQL on one line, parameters) of each SELECT, INSERT, UPDATE or DELETE run meanwhile;
    the tests' SAVEPOINTs (each request's session nests in the test's transaction) left out."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_args: Any) -> None:
        if sql.lstrip().split(" ", 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE"}:
            seen.append((" ".join(sql.split()), parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def bound_instant(parameters: Any) -> datetime:
    """The one instant bound to a statement, aware UTC (SQLite receives naive UTC text,
    PostgreSQL a datetime)."""
    values = parameters.values() if isinstance(parameters, dict) else parameters
    [instant] = [v for v in values if isinstance(v, datetime | str)]
    if isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)
