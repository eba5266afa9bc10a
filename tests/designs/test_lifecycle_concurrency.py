"""Real races on PostgreSQL: two staff members moving one design (two close-expired runs at
once: tests/voting/test_close_expired_concurrency.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core import db
from cocreate.designs import lifecycle
from cocreate.designs.models import Design, DesignState, DesignTransition
from tests.accounts.factories import StaffFactory
from tests.concurrency import TIMEOUT, Concurrent
from tests.designs.factories import DesignFactory

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
