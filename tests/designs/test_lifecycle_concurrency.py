"""Real races on PostgreSQL: two staff members moving one design, and two close-voting runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.cli import ScriptInfo
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core import db
from cocreate.core.db import now_utc
from cocreate.designs import lifecycle
from cocreate.designs.cli import close_voting
from cocreate.designs.models import Design, DesignState, DesignTransition
from tests.accounts.factories import StaffFactory
from tests.concurrency import TIMEOUT, Concurrent
from tests.designs.factories import DesignFactory, VotingDesignFactory

pytestmark = pytest.mark.postgres_only

S = DesignState


def _accept(session: Session, design: Design, staff: User) -> None:
    lifecycle.accept_screening(session, design, staff)


def _reject(session: Session, design: Design, staff: User) -> None:
    lifecycle.reject_screening(session, design, staff, "Uses a registered logo.")


MOVES: dict[str, Callable[[Session, Design, User], None]] = {
    "accept": _accept,
    "reject": _reject,
}


@pytest.mark.parametrize(
    ("first", "second", "final", "message"),
    [
        (
            "accept",
            "accept",
            S.VOTING,
            "This design is open to votes, so this cannot be done any more.",
        ),
        (
            "accept",
            "reject",
            S.VOTING,
            "This design is open to votes, so this cannot be done any more.",
        ),
        (
            "reject",
            "accept",
            S.REJECTED,
            "This design is rejected at screening, so this cannot be done any more.",
        ),
    ],
)
def test_two_staff_move_one_design_at_once(
    concurrent: Concurrent, first: str, second: str, final: DesignState, message: str
) -> None:
    """Both staff members loaded the submitted design; the first one's move holds the row lock,
    the second one's waits for it, then reads the new state and is refused with the message."""
    with concurrent.setup():
        design_id = DesignFactory(state=S.SUBMITTED).id
        staff_ids = [StaffFactory().id, StaffFactory().id]
    both_loaded = threading.Barrier(2, timeout=TIMEOUT)
    first_moved = threading.Event()
    first_may_commit = threading.Event()

    def staff_member(number: int, move: str) -> str:
        session = concurrent.session()
        with concurrent.request(session):
            design = session.get_one(Design, design_id)
            staff = session.get_one(User, staff_ids[number])
            both_loaded.wait()  # each sees the design as submitted
            if number == 1:
                assert first_moved.wait(TIMEOUT)
            try:
                MOVES[move](session, design, staff)
            except lifecycle.InvalidTransition as error:
                db.rollback()
                return str(error)
            if number == 0:
                first_moved.set()
                assert first_may_commit.wait(TIMEOUT)
            db.commit()
            return "moved"

    winner = concurrent.start(lambda: staff_member(0, first))
    loser = concurrent.start(lambda: staff_member(1, second))
    assert first_moved.wait(TIMEOUT)
    concurrent.wait_until_blocked(1)  # the second move waits on the row lock
    first_may_commit.set()
    concurrent.join()

    assert winner.error is None and loser.error is None, (winner.error, loser.error)
    assert (winner.result, loser.result) == ("moved", message)
    with concurrent.session() as check:
        assert check.get_one(Design, design_id).state is final
        rows = check.scalars(select(DesignTransition)).all()
        assert [(r.design_id, r.actor_id, r.from_state, r.to_state) for r in rows] == [
            (design_id, staff_ids[0], S.SUBMITTED, final)
        ]


def _run_close_voting(concurrent: Concurrent) -> Any:
    """`flask designs close-voting`, in this thread, on the test app."""
    return close_voting.main(
        args=[], standalone_mode=False, obj=ScriptInfo(create_app=lambda: concurrent.app)
    )


def _three_ended_designs(concurrent: Concurrent) -> list[int]:
    with concurrent.setup():
        ended = now_utc() - timedelta(minutes=1)
        ids = [VotingDesignFactory(voting_ends_at=ended).id for _ in range(3)]
        VotingDesignFactory()  # still open: left alone
    return ids


def _assert_closed_once(concurrent: Concurrent, ids: list[int]) -> None:
    with concurrent.session() as check:
        states = check.scalars(select(Design.state).order_by(Design.id)).all()
        assert states == [S.CLOSED, S.CLOSED, S.CLOSED, S.VOTING]
        rows = check.scalars(select(DesignTransition).order_by(DesignTransition.design_id)).all()
        assert [(r.design_id, r.actor_id, r.from_state, r.to_state) for r in rows] == [
            (ids[0], None, S.VOTING, S.CLOSED),
            (ids[1], None, S.VOTING, S.CLOSED),
            (ids[2], None, S.VOTING, S.CLOSED),
        ]


def test_close_voting_run_twice_at_once_skips_rows_the_other_run_holds(
    concurrent: Concurrent,
) -> None:
    """The first run has locked every ended design and closed one, uncommitted; the second run
    meanwhile finishes without waiting and closes none of them; the first then closes all."""
    ids = _three_ended_designs(concurrent)
    first_holds_rows = threading.Event()
    second_done = threading.Event()
    paused = threading.local()

    def pause_once(session: Session, _context: Any) -> None:
        if getattr(paused, "armed", False):
            paused.armed = False
            first_holds_rows.set()
            assert second_done.wait(TIMEOUT)

    def first_run() -> Any:
        paused.armed = True
        return _run_close_voting(concurrent)

    event.listen(Session, "after_flush", pause_once)
    try:
        first = concurrent.start(first_run)
        assert first_holds_rows.wait(TIMEOUT)
        second = concurrent.start(lambda: _run_close_voting(concurrent))
        assert second.thread is not None
        second.thread.join(TIMEOUT)
        assert not second.thread.is_alive(), "the second run waited for the first one's rows"
        with concurrent.session() as check:  # nothing committed yet by either run
            assert check.scalars(select(DesignTransition)).all() == []
        second_done.set()
        concurrent.join()
    finally:
        second_done.set()
        event.remove(Session, "after_flush", pause_once)

    assert first.error is None and second.error is None, (first.error, second.error)
    _assert_closed_once(concurrent, ids)


def test_close_voting_started_twice_at_the_same_moment(concurrent: Concurrent) -> None:
    ids = _three_ended_designs(concurrent)
    start_together = threading.Barrier(2, timeout=TIMEOUT)

    def run() -> Any:
        start_together.wait()
        return _run_close_voting(concurrent)

    runs = [concurrent.start(run), concurrent.start(run)]
    concurrent.join()

    assert [r.error for r in runs] == [None, None]
    _assert_closed_once(concurrent, ids)
