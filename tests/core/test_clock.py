"""The clock collaborator: a test clock that moves, and rules that follow the app's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cocreate.core import clock as clock_module
from cocreate.core.clock import Clock, SystemClock, TestClock
from tests.designs.factories import VotingDesignFactory

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_test_clock_stands_still_and_advances() -> None:
    test_clock = TestClock(START)
    assert test_clock.now() == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert test_clock.now() == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert test_clock.advance(timedelta(hours=1, seconds=1)) == datetime(
        2026, 3, 2, 10, 0, 1, tzinfo=UTC
    )
    assert test_clock.now() == datetime(2026, 3, 2, 10, 0, 1, tzinfo=UTC)
    test_clock.advance(timedelta(days=-1))
    assert test_clock.now() == datetime(2026, 3, 1, 10, 0, 1, tzinfo=UTC)
    test_clock.set(datetime(2027, 1, 1, tzinfo=UTC))
    assert test_clock.now() == datetime(2027, 1, 1, tzinfo=UTC)


def test_test_clock_refuses_naive_times_and_answers_in_utc() -> None:
    with pytest.raises(ValueError, match="aware"):
        TestClock(datetime(2026, 3, 2, 9, 0))  # noqa: DTZ001 - the point of the test
    test_clock = TestClock(START)
    with pytest.raises(ValueError, match="aware"):
        test_clock.set(datetime(2026, 3, 2, 9, 0))  # noqa: DTZ001
    assert test_clock.now() == START
    paris_winter = timezone(timedelta(hours=1))
    test_clock.set(datetime(2026, 3, 2, 10, 0, tzinfo=paris_winter))
    assert test_clock.now() == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert test_clock.now().tzinfo is UTC


def test_system_clock_is_aware_utc() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    assert now.tzinfo is UTC and before <= now <= datetime.now(UTC)
    assert isinstance(SystemClock(), Clock) and isinstance(TestClock(START), Clock)


def test_app_runs_on_the_system_clock_unless_a_test_moves_it(app: Flask) -> None:
    assert isinstance(clock_module.clock(app), SystemClock)
    with app.app_context():
        assert clock_module.clock() is clock_module.clock(app)


def test_clock_fixture_is_the_apps_clock(app: Flask, clock: TestClock) -> None:
    with app.app_context():
        assert clock_module.clock() is clock
        assert clock_module.clock().now() == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_gallery_open_until_the_instant_voting_ends(
    client: FlaskClient, db_session: Session, clock: TestClock
) -> None:
    VotingDesignFactory(
        title="Last Call",
        published_at=datetime(2026, 2, 25, 9, 0, tzinfo=UTC),
        voting_ends_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
    )
    db_session.commit()
    clock.set(datetime(2026, 3, 2, 9, 59, 59, tzinfo=UTC))
    assert "Last Call" in client.get("/gallery?view=ending").get_data(as_text=True)
    clock.advance(timedelta(seconds=1))  # 10:00:00, the end instant: closed
    assert "Last Call" not in client.get("/gallery?view=ending").get_data(as_text=True)
    assert "Last Call" not in client.get("/gallery").get_data(as_text=True)


def test_days_left_follow_the_clock(
    client: FlaskClient, db_session: Session, clock: TestClock
) -> None:
    design = VotingDesignFactory(voting_ends_at=datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
    db_session.commit()
    page = lambda: client.get(f"/designs/{design.id}").get_data(as_text=True)  # noqa: E731
    assert "2 days left to vote" in page()  # exactly 48 h
    clock.advance(timedelta(seconds=1))
    assert "2 days left to vote" in page()  # 47:59:59 rounds up
    clock.set(datetime(2026, 3, 3, 9, 0, 1, tzinfo=UTC))
    assert "1 day left to vote" in page()
    clock.set(datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
    assert "left to vote" not in page()
