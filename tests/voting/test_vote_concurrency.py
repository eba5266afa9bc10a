"""Votes cast at once on PostgreSQL: the counters equal what the vote rows say, no errors.

8 threads each cast 200 votes on the same 3 designs, from distinct members, a quarter of them
changes of an earlier vote (score and buy intent). Every vote is its own transaction, as a
request is. Then the race the unique constraint settles: one member's first vote sent twice.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from cocreate.accounts.models import User
from cocreate.core import db
from cocreate.core.db import now_utc
from cocreate.designs.models import Design, DesignProduct
from cocreate.voting import services
from cocreate.voting.models import Vote
from tests.accounts.factories import UserFactory
from tests.concurrency import TIMEOUT, Concurrent
from tests.designs.factories import VotingDesignFactory
from tests.voting.helpers import counters, from_rows, intents, intents_from_rows

pytestmark = pytest.mark.postgres_only

THREADS = 8
VOTES_PER_THREAD = 200
MEMBERS_PER_THREAD = 50  # each votes on the 3 designs, then changes its first vote
#: Longest the 8 threads may take together (a few seconds when green, on a busy machine).
LONG_TIMEOUT = 300.0
SIZES = [("tee", "M"), ("tee", "XL"), ("poster", "30x40"), None]


def _cast(concurrent: Concurrent, design_id: int, voter_id: int, score: int, buy: Any) -> Vote:
    session = concurrent.session()
    with concurrent.request(session):
        design = session.get_one(Design, design_id)
        voter = session.get_one(User, voter_id)
        vote = services.cast_vote(
            session,
            design,
            voter,
            score=score,
            buy_choice=buy,
            ip_hash="f" * 64,
            now=now_utc(),
            settings=concurrent.app.extensions["cocreate.config"],
        )
        db.commit()
        return vote


def test_eight_threads_of_two_hundred_votes_keep_the_counters_exact(
    concurrent: Concurrent,
) -> None:
    with concurrent.setup():
        designs = [
            VotingDesignFactory(
                products=[DesignProduct(product="tee"), DesignProduct(product="poster")]
            ).id
            for _ in range(3)
        ]
        members = [[UserFactory().id for _ in range(MEMBERS_PER_THREAD)] for _ in range(THREADS)]
    start = threading.Barrier(THREADS, timeout=TIMEOUT)

    def worker(thread: int) -> int:
        start.wait()
        for i in range(VOTES_PER_THREAD):
            member = members[thread][i % MEMBERS_PER_THREAD]
            # Rounds 0-2: a first vote on each design; round 3: a change of the first one.
            design = designs[(i // MEMBERS_PER_THREAD) % 3]
            score = (i * 7 + thread) % 5 + 1
            _cast(concurrent, design, member, score, SIZES[(i + thread) % len(SIZES)])
        return VOTES_PER_THREAD

    outcomes = [concurrent.start(lambda t=t: worker(t)) for t in range(THREADS)]
    for outcome in outcomes:  # 1,600 transactions: longer than one race's TIMEOUT
        assert outcome.thread is not None
        outcome.thread.join(LONG_TIMEOUT)
    concurrent.join()

    assert [o.error for o in outcomes] == [None] * THREADS
    assert [o.result for o in outcomes] == [VOTES_PER_THREAD] * THREADS
    with concurrent.session() as check:
        assert check.scalar(select(func.count()).select_from(Vote)) == THREADS * 150
        total_votes = 0
        for design_id in designs:
            assert counters(check, design_id) == from_rows(check, design_id)
            assert intents(check, design_id) == intents_from_rows(check, design_id)
            total_votes += counters(check, design_id)[0]
        assert total_votes == 1200


def test_one_member_s_first_vote_twice_at_once_is_one_vote(concurrent: Concurrent) -> None:
    """The first request has inserted the vote, uncommitted; the second one's insert waits on
    the unique index, inserts nothing once the first commits (ON CONFLICT DO NOTHING), and
    becomes a change of that vote."""
    from sqlalchemy import event

    with concurrent.setup():
        design_id = VotingDesignFactory().id
        voter_id = UserFactory().id
    first_inserted = threading.Event()
    first_may_commit = threading.Event()
    paused = threading.local()

    def pause_once(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if getattr(paused, "armed", False) and statement.lstrip().startswith("INSERT INTO votes"):
            paused.armed = False
            first_inserted.set()
            assert first_may_commit.wait(TIMEOUT)

    def first() -> Vote:
        paused.armed = True
        return _cast(concurrent, design_id, voter_id, 2, None)

    event.listen(concurrent.engine, "after_cursor_execute", pause_once)
    try:
        one = concurrent.start(first)
        assert first_inserted.wait(TIMEOUT)
        two = concurrent.start(lambda: _cast(concurrent, design_id, voter_id, 5, ("tee", "S")))
        concurrent.wait_until_blocked(1)  # the second insert waits on the unique index
        first_may_commit.set()
        concurrent.join()
    finally:
        first_may_commit.set()
        event.remove(concurrent.engine, "after_cursor_execute", pause_once)

    assert (one.error, two.error) == (None, None)
    with concurrent.session() as check:
        votes = check.scalars(select(Vote)).all()
        assert [(v.voter_id, v.score, v.product, v.size) for v in votes] == [
            (voter_id, 5, "tee", "S")
        ]
        assert counters(check, design_id) == (1, 5, 1)
        assert intents(check, design_id) == {("tee", "S"): 1}
