"""Database plumbing: the declarative base, the UTC column type, and one session per request.

The request's session is committed in exactly one place (`_commit_request`), after the view
returned a non-error response. Services only flush. Work that must follow a successful commit
(emails) is queued with `after_commit()` and run once the commit went through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def now_utc() -> datetime:
    """The one clock: aware UTC, second-free of any local timezone."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware.

    SQLite has no timezone support, so values are normalised to UTC on the way in and tagged
    UTC on the way out; naive datetimes are refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed during a write; the busy timeout makes writers wait, not fail.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10})
        # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN.
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def init_app(app: Flask, url: str) -> None:
    """Engine and session factory are made lazily: no connection is opened at start."""
    state: dict[str, Any] = {"url": url, "engine": None, "factory": None}
    app.extensions["cocreate.db"] = state
    app.after_request(_commit_request)
    app.teardown_appcontext(_close_session)


def engine(app: Flask | None = None) -> Engine:
    state = (app or current_app).extensions["cocreate.db"]
    if state["engine"] is None:
        state["engine"] = make_engine(state["url"])
    return state["engine"]


def set_session_factory(app: Flask, factory: Callable[[], Session]) -> None:
    """Tests bind the app to a connection in an outer transaction that is rolled back."""
    app.extensions["cocreate.db"]["factory"] = factory


def session_factory(app: Flask) -> Callable[[], Session]:
    state = app.extensions["cocreate.db"]
    if state["factory"] is None:
        state["factory"] = sessionmaker(bind=engine(app), expire_on_commit=False)
    return state["factory"]


def session() -> Session:
    """The current request's (or CLI command's) session."""
    if "db_session" not in g:
        g.db_session = session_factory(current_app._get_current_object())()  # type: ignore[attr-defined]
        g.after_commit = []
    return g.db_session


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current transaction has committed (never if it rolls back)."""
    session()
    g.after_commit.append(callback)


def commit() -> None:
    """Commit the current session, then run the queued after-commit callbacks."""
    if "db_session" not in g:
        return
    g.db_session.commit()
    callbacks, g.after_commit = g.after_commit, []
    for callback in callbacks:
        try:
            callback()
        except Exception:  # a failed email must not turn a committed request into an error
            current_app.logger.exception("after-commit callback failed")


def rollback() -> None:
    if "db_session" in g:
        g.db_session.rollback()
        g.after_commit = []


def _commit_request(response: Response) -> Response:
    if response.status_code < 400:
        commit()
    else:
        rollback()
    return response


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    g.pop("after_commit", None)
    if db_session is not None:
        db_session.close()


@contextmanager
def transaction() -> Iterator[Session]:
    """A unit of work outside a request (CLI commands, jobs): commit on success, else roll back."""
    db_session = session()
    try:
        yield db_session
        commit()
    except BaseException:
        rollback()
        raise
