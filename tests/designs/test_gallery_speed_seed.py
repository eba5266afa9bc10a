"""bench/voting.py's seed: the votes it makes in SQL are valid votes, and the counters, intents
and ranks it sets are what the vote service and the ranking job would have left."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, text

from bench.voting_seed import DESIGNERS, PRIOR_WEIGHT, Seeded, seed
from cocreate.core import db
from cocreate.core.cli import alembic_config
from cocreate.voting.counters import rank_value

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Seeded]]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('seed')) / 'seed.sqlite3'}"
    command.upgrade(alembic_config(url), "head")
    engine = db.make_engine(url)
    result = seed(engine, designs=400, votes=20_000, now=NOW, rnd=random.Random(7))
    yield engine, result
    engine.dispose()


def scalar(engine: Engine, sql: str, **values: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), values).scalar_one()


def test_exactly_the_votes_asked_for(seeded: tuple[Engine, Seeded]) -> None:
    engine, result = seeded
    assert scalar(engine, "SELECT count(*) FROM votes") == 20_000
    assert result.votes == 20_000
    assert scalar(engine, "SELECT count(*) FROM designs") == 400


def test_votes_are_valid_votes(seeded: tuple[Engine, Seeded]) -> None:
    engine, _ = seeded
    assert scalar(engine, "SELECT min(score) FROM votes") == 1
    assert scalar(engine, "SELECT max(score) FROM votes") == 5
    # On public designs only, never by their designer (designers never vote in the seed).
    on_private = (
        "SELECT count(*) FROM votes JOIN designs ON designs.id = design_id "
        "WHERE designs.state NOT IN ('voting', 'closed', 'approved', 'on_sale', 'retired')"
    )
    assert scalar(engine, on_private) == 0
    by_designers = "SELECT count(*) FROM votes WHERE voter_id <= :last"
    assert scalar(engine, by_designers, last=DESIGNERS) == 0
    # "I'd buy it" carries a tee size, and only then.
    bad_buys = "SELECT count(*) FROM votes WHERE buy AND (product <> 'tee' OR size = '')"
    stray_sizes = "SELECT count(*) FROM votes WHERE NOT buy AND (product <> '' OR size <> '')"
    assert scalar(engine, bad_buys) == scalar(engine, stray_sizes) == 0
    assert 0 < scalar(engine, "SELECT count(*) FROM votes WHERE buy") < 20_000


def test_counters_intents_and_ranks_follow_the_rows(seeded: tuple[Engine, Seeded]) -> None:
    engine, _ = seeded
    mismatched = """
        SELECT count(*) FROM designs AS d LEFT JOIN (
            SELECT design_id, count(*) AS n, sum(score) AS total,
                   sum(CASE WHEN buy THEN 1 ELSE 0 END) AS buys
            FROM votes GROUP BY design_id) AS v ON v.design_id = d.id
        WHERE d.vote_count <> coalesce(v.n, 0) OR d.score_sum <> coalesce(v.total, 0)
           OR d.buy_intent_count <> coalesce(v.buys, 0)
    """
    assert scalar(engine, mismatched) == 0
    assert scalar(engine, "SELECT sum(count) FROM design_intents") == scalar(
        engine, "SELECT count(*) FROM votes WHERE buy"
    )
    mean = scalar(engine, "SELECT mean FROM ranking_stats")
    total, count = (
        scalar(engine, "SELECT sum(score) FROM votes"),
        scalar(engine, "SELECT count(*) FROM votes"),
    )
    assert mean == pytest.approx(total / count)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT score_sum, vote_count, rank_score FROM designs")).all()
    for score_sum, votes, rank in rows:
        assert rank == pytest.approx(rank_value(PRIOR_WEIGHT, mean, score_sum, votes))
