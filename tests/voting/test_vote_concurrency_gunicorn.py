"""Concurrent votes under real gunicorn with 2 workers on a SQLite file: no 500, and the
counters equal the rows (writing requests queue on SQLite's write lock, see core/db.py)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from cocreate.core import db
from cocreate.designs.models import DesignProduct
from tests import factories_session
from tests.accounts.factories import PASSWORD, UserFactory

# Its skip marks (no gunicorn; the PostgreSQL run) apply here too; the fixtures come through
# tests/voting/conftest.py.
from tests.core.test_gunicorn_writes import Answer, Server, pytestmark  # noqa: F401
from tests.designs.factories import VotingDesignFactory
from tests.voting.helpers import counters, from_rows, intents, intents_from_rows

#: Below the default per-address limits of the gunicorn app (log-ins 10 a minute, votes 120 a
#: minute per worker), so every answer must be a success.
MEMBERS = 8
ROUNDS = 4  # a first vote on each design, then three changes


def _seed(url: str) -> tuple[list[int], list[str]]:
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            factories_session.current = session
            try:
                designs = [
                    VotingDesignFactory(
                        products=[DesignProduct(product="tee"), DesignProduct(product="tote")]
                    ).id
                    for _ in range(3)
                ]
                emails = [UserFactory(email=f"voter{n}@example.test").email for n in range(MEMBERS)]
                session.commit()
                return designs, emails
            finally:
                factories_session.current = None
    finally:
        engine.dispose()


def test_concurrent_votes_never_answer_500(sqlite_file: str, server: Server) -> None:
    designs, emails = _seed(sqlite_file)
    cookies = []
    for email in emails:
        login = server.request("POST", "/login", urlencode({"email": email, "password": PASSWORD}))
        assert login.status == 302, login.body
        cookies.append("; ".join(c.split(";", 1)[0] for c in login.cookies))
    jobs = [
        (member, design, round_)
        for round_ in range(ROUNDS)
        for member in range(MEMBERS)
        for design in designs
    ]
    sizes = ["tee:M", "tee:L", "tote:one-size", ""]
    start = threading.Barrier(16)

    def vote(job: tuple[int, int, int]) -> Answer:
        member, design, round_ = job
        if job in jobs[:16]:
            start.wait(timeout=10)
        size = sizes[(member + round_) % len(sizes)]
        form = {"score": str((member + design + round_) % 5 + 1)}
        if size:
            form |= {"buy": "y", "size": size}
        return server.request(
            "POST", f"/designs/{design}/vote", urlencode(form), cookie=cookies[member]
        )

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(vote, jobs))

    assert sorted({a.status for a in answers}) == [303], "".join(server.log)
    engine = db.make_engine(sqlite_file)
    try:
        with Session(engine) as session:
            for design_id in designs:
                assert counters(session, design_id) == from_rows(session, design_id)
                assert counters(session, design_id)[0] == MEMBERS
                assert intents(session, design_id) == intents_from_rows(session, design_id)
    finally:
        engine.dispose()
