"""Database plumbing: the declarative base, the UTC column type, and one session per request.

The request's session is committed in exactly one place (`_commit_request`), after the view
returned normally with a 2xx/3xx response. Anything else rolls back: a 4xx/5xx response (a failed
form answers 422), or an exception, whether an error handler turned it into an error page (the
handlers in core/errors.py only answer 4xx/5xx) or it propagated (teardown rolls back). Services
only flush. Work that must follow a successful commit (emails) is queued with `after_commit()` and
run once the commit went through, never after a rollback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy import DateTime, MetaData, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
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


# Execution option naming how a SQLite transaction begins. `with_for_update()` does nothing on
# SQLite, and a deferred BEGIN takes the write lock only at the first write: two requests that
# both read a design and then write it deadlock on the lock upgrade, and SQLite answers the loser
# "database is locked" at once, without waiting for the busy timeout. BEGIN IMMEDIATE takes the
# write lock up front, so concurrent writers queue on the busy timeout and each then reads the
# state its predecessor committed. Only writing sessions use it (see `session()`): readers keep
# running alongside the writer thanks to WAL. PostgreSQL ignores the option.
SQLITE_BEGIN = "cocreate_sqlite_begin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
View = TypeVar("View", bound=Callable[..., Any])


def _sqlite_begin(connection: Any) -> None:
    mode = connection.get_execution_options().get(SQLITE_BEGIN)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")


def upsert_insert(session: Session) -> Any:
    """The session's dialect's `insert`, which has INSERT … ON CONFLICT (`on_conflict_do_nothing`
    and friends) under the same API in PostgreSQL and SQLite."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


@contextmanager
def planner_settings(session: Session, settings: dict[str, str]) -> Iterator[None]:
    """PostgreSQL planner `settings` while the block runs (SET LOCAL: they end with the
    transaction at the latest), then what they were; nothing on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = {name: session.execute(text(f"SHOW {name}")).scalar_one() for name in settings}
    _set_config(session, settings)
    try:
        yield
    finally:
        _set_config(session, before)


def _set_config(session: Session, settings: dict[str, str]) -> None:
    for name, value in settings.items():
        session.execute(
            text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value}
        )


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
    state: dict[str, Any] = {"url": url, "engine": None, "factory": None, "write_factory": None}
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
    app.extensions["cocreate.db"]["write_factory"] = factory


def session_factory(app: Flask, *, write: bool = False) -> Callable[[], Session]:
    """Sessions of a `write` factory begin their transactions holding SQLite's write lock."""
    state = app.extensions["cocreate.db"]
    key = "write_factory" if write else "factory"
    if state[key] is None:
        bind = engine(app)
        if write:
            bind = bind.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        state[key] = sessionmaker(bind=bind, expire_on_commit=False)
    return state[key]


def writes(view: View) -> View:
    """Mark a GET view that writes (e.g. a confirmation link), so it takes the write lock too."""
    view.cocreate_writes = True  # type: ignore[attr-defined]
    return view


def writing() -> bool:
    """Whether this request's (or command's) session takes the write lock when it begins."""
    # Outside a request (CLI commands, jobs) the session is there to write.
    if not has_request_context():
        return True
    if request.method not in SAFE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "cocreate_writes", False))


def session() -> Session:
    """The current request's (or CLI command's) session."""
    if "db_session" not in g:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        g.db_session = session_factory(app, write=writing())()
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
    # Flask also runs this for the page an error handler made of an exception; those pages are
    # all 4xx/5xx, so an exception never commits.
    if response.status_code < 400:
        commit()
    else:
        rollback()
    return response


def _close_session(exc: BaseException | None) -> None:
    # An exception that no handler turned into a response skips after_request: roll back here,
    # and drop the after-commit callbacks unrun.
    db_session = g.pop("db_session", None)
    g.pop("after_commit", None)
    if db_session is not None:
        if exc is not None:
            db_session.rollback()
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
