"""`flask voting close-expired`: every design whose window ended is closed, each in its own
transaction, exactly once, through the lifecycle (one audit row, the `transitioned` signal)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.core.clock import TestClock
from cocreate.core.lifecycle import transitioned
from cocreate.designs.models import Design, DesignState, DesignTransition
from cocreate.voting import cli
from tests.conftest import TEST_START
from tests.voting.helpers import open_design

S = DesignState


def _run(app: Flask) -> Any:
    result = app.test_cli_runner().invoke(args=["voting", "close-expired"])
    assert result.exit_code == 0, result.output
    return result


def _states(session: Session) -> dict[str, DesignState]:
    session.expire_all()
    return {title: state for title, state in session.execute(select(Design.title, Design.state))}


def test_closes_ended_windows_at_their_exact_instant(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    open_design(title="Ended earlier", voting_ends_at=TEST_START - timedelta(days=1))
    open_design(title="Ends now", voting_ends_at=TEST_START)
    open_design(title="One microsecond left", voting_ends_at=TEST_START + timedelta(microseconds=1))
    open_design(title="Withdrawn", state=S.WITHDRAWN, voting_ends_at=TEST_START - timedelta(days=1))
    db_session.commit()
    assert _run(app).output == "Closed voting on 2 design(s).\n"
    assert _states(db_session) == {
        "Ended earlier": S.CLOSED,
        "Ends now": S.CLOSED,
        "One microsecond left": S.VOTING,
        "Withdrawn": S.WITHDRAWN,
    }
    rows = db_session.scalars(select(DesignTransition).order_by(DesignTransition.id)).all()
    assert [(r.actor_id, r.from_state, r.to_state, r.created_at) for r in rows] == [
        (None, S.VOTING, S.CLOSED, TEST_START),
        (None, S.VOTING, S.CLOSED, TEST_START),
    ]


def test_a_second_run_closes_nothing_more(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    open_design(title="Ended", voting_ends_at=TEST_START - timedelta(hours=1))
    db_session.commit()
    assert _run(app).output == "Closed voting on 1 design(s).\n"
    assert _run(app).output == "Closed voting on 0 design(s).\n"
    assert len(db_session.scalars(select(DesignTransition)).all()) == 1
    # Time passes: the next window to end is closed by a later run.
    open_design(title="Later", voting_ends_at=TEST_START + timedelta(hours=1))
    db_session.commit()
    assert _run(app).output == "Closed voting on 0 design(s).\n"
    clock.advance(timedelta(hours=1))
    assert _run(app).output == "Closed voting on 1 design(s).\n"
    assert _states(db_session) == {"Ended": S.CLOSED, "Later": S.CLOSED}


def test_each_close_is_signalled_once_for_the_notifications(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    ids = [open_design(voting_ends_at=TEST_START).id for _ in range(2)]
    db_session.commit()
    seen: list[tuple[int, DesignState]] = []

    def record(sender: type, **kwargs: Any) -> None:
        seen.append((kwargs["subject"].id, kwargs["record"].to_state))

    transitioned.connect(record)
    try:
        _run(app)
        _run(app)
    finally:
        transitioned.disconnect(record)
    assert seen == [(ids[0], S.CLOSED), (ids[1], S.CLOSED)]


def test_a_design_closed_meanwhile_is_skipped_without_error(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    """Between the list of due designs and its own transaction, another run closed one."""
    design = open_design(voting_ends_at=TEST_START)
    db_session.commit()
    with app.app_context():
        assert cli._due() == [design.id]
        assert cli.close_one(design.id) is True
        assert cli.close_one(design.id) is False
    assert len(db_session.scalars(select(DesignTransition)).all()) == 1


def test_a_design_withdrawn_under_the_lock_is_skipped(
    app: Flask, db_session: Session, clock: TestClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite has no row locks: the lifecycle's own re-read refuses, and the run goes on."""
    from cocreate.designs import lifecycle

    design = open_design(voting_ends_at=TEST_START)
    db_session.commit()

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise lifecycle.InvalidTransition("withdrawn meanwhile")

    monkeypatch.setattr(lifecycle, "close_voting", refuse)
    with app.app_context():
        assert cli.close_one(design.id) is False
    assert _states(db_session) == {design.title: S.VOTING}
