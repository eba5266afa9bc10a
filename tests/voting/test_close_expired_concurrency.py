"""Two `flask voting close-expired` runs at once on PostgreSQL: each design closed once."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask.cli import ScriptInfo
from sqlalchemy import select

from cocreate.core.db import now_utc
from cocreate.core.lifecycle import transitioned
from cocreate.designs.models import Design, DesignState, DesignTransition
from cocreate.voting.cli import close_expired
from tests.concurrency import TIMEOUT, Concurrent
from tests.designs.factories import VotingDesignFactory

pytestmark = pytest.mark.postgres_only

S = DesignState
DESIGNS = 12


def _run(concurrent: Concurrent) -> Any:
    return close_expired.main(
        args=[], standalone_mode=False, obj=ScriptInfo(create_app=lambda: concurrent.app)
    )


def test_two_runs_at_once_close_each_design_once(concurrent: Concurrent) -> None:
    with concurrent.setup():
        ended = now_utc() - timedelta(minutes=1)
        ids = [VotingDesignFactory(voting_ends_at=ended).id for _ in range(DESIGNS)]
        open_id = VotingDesignFactory().id  # still open: left alone
    start_together = threading.Barrier(2, timeout=TIMEOUT)
    signalled: list[int] = []
    lock = threading.Lock()

    def record(sender: type, **kwargs: Any) -> None:
        with lock:
            signalled.append(kwargs["subject"].id)

    def run() -> Any:
        start_together.wait()
        return _run(concurrent)

    transitioned.connect(record)
    try:
        runs = [concurrent.start(run), concurrent.start(run)]
        concurrent.join()
    finally:
        transitioned.disconnect(record)

    assert [r.error for r in runs] == [None, None]
    # Each design was closed by one run or the other, the notification signal fired once each.
    assert sorted(signalled) == ids
    with concurrent.session() as check:
        states = dict(check.execute(select(Design.id, Design.state)).all())
        assert states == {**dict.fromkeys(ids, S.CLOSED), open_id: S.VOTING}
        rows = check.execute(
            select(
                DesignTransition.design_id, DesignTransition.from_state, DesignTransition.to_state
            ).order_by(DesignTransition.design_id)
        ).all()
        assert [tuple(r) for r in rows] == [(i, S.VOTING, S.CLOSED) for i in ids]


def test_a_run_skips_a_design_the_other_run_holds(concurrent: Concurrent) -> None:
    """The first run holds one design's lock (closing it, uncommitted); the second run skips it
    without waiting and closes the others; the first then commits its one."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    with concurrent.setup():
        ended = now_utc() - timedelta(minutes=1)
        ids = [VotingDesignFactory(voting_ends_at=ended).id for _ in range(3)]
    first_holds = threading.Event()
    second_done = threading.Event()
    paused = threading.local()

    def pause_once(session: Session, _context: Any) -> None:
        if getattr(paused, "armed", False):
            paused.armed = False
            first_holds.set()
            assert second_done.wait(TIMEOUT)

    def first_run() -> Any:
        paused.armed = True
        return _run(concurrent)

    event.listen(Session, "after_flush", pause_once)
    try:
        first = concurrent.start(first_run)
        assert first_holds.wait(TIMEOUT)
        second = concurrent.start(lambda: _run(concurrent))
        assert second.thread is not None
        second.thread.join(TIMEOUT)
        assert not second.thread.is_alive(), "the second run waited for the first one's row"
        second_done.set()
        concurrent.join()
    finally:
        second_done.set()
        event.remove(Session, "after_flush", pause_once)

    assert (first.error, second.error) == (None, None)
    with concurrent.session() as check:
        rows = check.execute(
            select(DesignTransition.design_id).order_by(DesignTransition.design_id)
        ).all()
        assert [r[0] for r in rows] == ids
