"""Real concurrency on PostgreSQL: committed data, and transactions on their own connections.

The usual fixtures run each test inside one outer transaction that is rolled back: other
connections never see its rows, so they cannot race. Tests marked `postgres_only` take the
`concurrent` fixture instead (tests/conftest.py): setup data is committed through `setup()`,
each thread works in its own `Session` (and, for services, its own request context), and every
app table is emptied afterwards so the rolled-back tests still start from an empty database.

Races are made deterministic with `threading` events and by waiting until PostgreSQL reports a
session blocked on a lock (`wait_until_blocked`), never by sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, g
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from tests import factories_session

#: Longest a test waits for another thread or a lock before failing (never reached when green).
TIMEOUT = 20.0


@dataclass
class Outcome:
    """What one thread's work returned or raised."""

    result: Any = None
    error: BaseException | None = None
    thread: threading.Thread | None = None


@dataclass
class Concurrent:
    engine: Engine
    app: Flask
    _threads: list[threading.Thread] = field(default_factory=list)

    def session(self) -> Session:
        """A session on its own connection (committing really commits)."""
        return sessionmaker(bind=self.engine, expire_on_commit=False)()

    @contextmanager
    def setup(self) -> Iterator[Session]:
        """Write committed setup data, with the factories pointed at this session."""
        session = self.session()
        previous, factories_session.current = factories_session.current, session
        try:
            with self.request(session):
                yield session
                # Inside the context: leaving it closes the session, as at a request's end.
                session.commit()
        finally:
            factories_session.current = previous
            session.close()

    @contextmanager
    def request(self, session: Session) -> Iterator[Session]:
        """A request context of this thread whose db session is `session`, as in production;
        leaving it closes the session (commit before)."""
        with self.app.test_request_context():
            g.db_session = session
            g.after_commit = []
            yield session

    def start(self, work: Callable[[], Any]) -> Outcome:
        """Run `work` in a new thread; its result or exception lands in the returned Outcome."""
        outcome = Outcome()

        def run() -> None:
            try:
                outcome.result = work()
            except BaseException as error:  # handed to the test, which asserts on it
                outcome.error = error

        outcome.thread = threading.Thread(target=run, daemon=True)
        self._threads.append(outcome.thread)
        outcome.thread.start()
        return outcome

    def join(self) -> None:
        for thread in self._threads:
            thread.join(TIMEOUT)
            assert not thread.is_alive(), "a concurrent transaction did not finish"
        self._threads.clear()

    def wait_until_blocked(self, count: int = 1) -> None:
        """Return once `count` other sessions of this database wait on a row or key lock."""
        deadline = time.monotonic() + TIMEOUT
        with self.engine.connect() as conn:
            while time.monotonic() < deadline:
                waiting = conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
                conn.rollback()  # a fresh snapshot of pg_stat_activity for the next look
                if waiting is not None and waiting >= count:
                    return
        raise AssertionError(f"{count} session(s) never blocked on a lock")

    def empty_tables(self) -> None:
        """TRUNCATE every app table (not Alembic's version table) after the test."""
        with self.engine.begin() as conn:
            names = conn.scalars(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                    " AND tablename <> 'alembic_version'"
                )
            ).all()
            if names:
                tables = ", ".join(f'"{name}"' for name in names)
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
