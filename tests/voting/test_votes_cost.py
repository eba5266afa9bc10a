"""What a vote costs the database: the statements of a vote POST, counted, and the rate limits
counted before the first of them (bench/voting.py measures the rest). The fraud signals'
skipped queries are tested with the signals (test_integrity_signals.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core.ratelimit import limiter
from tests.accounts.factories import StaffFactory, UserFactory
from tests.conftest import TEST_START
from tests.voting.helpers import open_design, statements

JSON = {"Accept": "application/json"}
#: An account this old is never "new" to the fraud signals.
OLD = TEST_START - timedelta(days=365)

pytestmark = pytest.mark.usefixtures("clock")


def _kinds(seen: list[tuple[str, Any]]) -> list[str]:
    """Each statement as its verb and what it reads or writes, e.g. "UPDATE designs"."""
    kinds = []
    for sql, _parameters in seen:
        words = sql.split(" ")
        if words[0] == "SELECT":
            table = words[words.index("FROM") + 1] if "FROM" in words else ""
            head = "SELECT " + (words[1] if words[1].startswith(("count", "EXISTS")) else table)
            kinds.append(head.rstrip(","))
        elif words[0] == "INSERT":
            kinds.append(f"INSERT {words[2]}")
        else:
            kinds.append(f"{words[0]} {words[1]}")
    return kinds


@pytest.fixture
def member(db_session: Session, auth: Any) -> User:
    user: User = UserFactory(email="voter@example.test", created_at=OLD)
    auth.login("voter@example.test")
    return user


def test_a_first_vote_is_eight_statements(
    client: FlaskClient, engine: Engine, db_session: Session, member: User
) -> None:
    design = open_design()
    with statements(engine) as seen:
        response = client.post(f"/designs/{design.id}/vote", data={"score": "4"}, headers=JSON)
    assert response.status_code == 200
    assert _kinds(seen) == [
        "SELECT user_sessions",  # the member's session and account (every member request)
        "SELECT designs",
        "SELECT votes",  # the member's vote on it, if any (locked)
        "INSERT votes",  # … ON CONFLICT DO NOTHING RETURNING id
        "UPDATE designs",  # the counters and rank, RETURNING them (no re-read)
        "SELECT count(DISTINCT",  # accounts from this address
        "SELECT EXISTS",  # a vote for another designer?
        "SELECT count(*)",  # none: how many votes, all for this one
    ]
    assert len(seen) == 8


def test_a_changed_vote_with_a_first_buyer_s_size_is_eleven_statements(
    client: FlaskClient, engine: Engine, db_session: Session, member: User
) -> None:
    design = open_design(products=("tee",))
    client.post(f"/designs/{design.id}/vote", data={"score": "4"})
    with statements(engine) as seen:
        response = client.post(
            f"/designs/{design.id}/vote",
            data={"score": "3", "buy": "y", "size": "tee:M"},
            headers=JSON,
        )
    assert response.status_code == 200
    assert _kinds(seen) == [
        "SELECT user_sessions",
        "SELECT designs",
        "SELECT design_products",  # the sizes it is offered in
        "SELECT votes",
        "UPDATE votes",
        "UPDATE designs",
        "UPDATE design_intents",
        "INSERT design_intents",  # the first buyer of this size
        "SELECT count(DISTINCT",
        "SELECT EXISTS",
        "SELECT count(*)",
    ]
    assert len(seen) == 11


def test_the_rate_limits_are_counted_before_any_query(
    client: FlaskClient,
    engine: Engine,
    db_session: Session,
    member: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The vote's four rate-limit windows (per account and per address, each per minute and
    per hour) are counted before the request's first query: on SQLite that query begins the
    transaction holding the write lock, which the limiter's storage round trips then would
    hold too."""
    design = open_design()
    strategy = limiter.limiter
    real_hit = strategy.hit
    with statements(engine) as seen:

        def hit(item: Any, *identifiers: str, **kwargs: Any) -> bool:
            seen.append(("LIMIT " + identifiers[-1], identifiers))
            return real_hit(item, *identifiers, **kwargs)

        monkeypatch.setattr(strategy, "hit", hit)
        response = client.post(f"/designs/{design.id}/vote", data={"score": "4"}, headers=JSON)
    assert response.status_code == 200
    first = [sql for sql, _ in seen[:4]]
    assert sorted(first) == [*["LIMIT vote-account"] * 2, *["LIMIT vote-address"] * 2]
    assert seen[4][0].startswith("SELECT users.id")  # the member's session: the first query


def test_the_answer_s_counts_come_from_the_update_not_a_re_read(
    client: FlaskClient, engine: Engine, db_session: Session, member: User
) -> None:
    design = open_design()
    design.vote_count, design.score_sum = 3, 9
    db_session.flush()
    response = client.post(f"/designs/{design.id}/vote", data={"score": "5"}, headers=JSON)
    data = response.get_json()
    assert (data["vote_count"], data["average"]) == (4, 3.5)
    assert data["texts"]["average"] == "Average 3.50 out of 5"
    assert data["texts"]["count"] == "4 votes"


def test_staff_get_their_whole_panel_back(
    client: FlaskClient, db_session: Session, auth: Any
) -> None:
    StaffFactory(email="staff@example.test", created_at=OLD)
    auth.login("staff@example.test")
    design = open_design(products=("tee",))
    response = client.post(
        f"/designs/{design.id}/vote", data={"score": "2", "buy": "y", "size": "tee:S"}, headers=JSON
    )
    data = response.get_json()
    # Staff's panel shows more than a member's: it comes back whole, for vote.js to swap in.
    assert 'id="vote-panel"' in data["html"]
    assert "Ranking score" in data["html"]
    assert "“I’d buy it” by size" in data["html"]
    assert data["texts"]["your_vote"] == "Your vote: 2 out of 5. You’d buy it in S (T-shirt)."
