"""Test fixtures: the schema is built by Alembic once per run; each test runs in a transaction
that is rolled back, with the app's requests joined to it (SQLAlchemy's "join a session into an
external transaction" recipe).

Set TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run the same
suite on PostgreSQL: a fresh database is created for the run and dropped after it.

On SQLite, TEST_SQLITE_SCHEMA may name a database file already migrated to head: each run then
starts from a copy of it instead of running the migrations (.ci/mutation.py builds one, so the
many short pytest runs of a mutation run skip Alembic).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from cocreate import create_app
from cocreate.config import Config
from cocreate.core import clock as clock_module
from cocreate.core import db
from cocreate.core.cli import alembic_config
from cocreate.core.clock import TestClock
from tests import factories_session
from tests.concurrency import Concurrent
from tests.html_check import HTMLCheckingClient
from tests.moto_s3 import fake_aws_environment

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def _create_postgres_database(base_url: str) -> tuple[str, str]:
    url = make_url(base_url)
    name = f"cocreate_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_database(base_url: str, name: str) -> None:
    admin = create_engine(make_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url, name = _create_postgres_database(base)
        yield url
        _drop_postgres_database(base, name)
    else:
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        if os.environ.get("TEST_SQLITE_SCHEMA"):
            shutil.copyfile(os.environ["TEST_SQLITE_SCHEMA"], path)
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    if not (database_url.startswith("sqlite") and os.environ.get("TEST_SQLITE_SCHEMA")):
        command.upgrade(alembic_config(database_url), "head")
    eng = db.make_engine(database_url)
    yield eng
    eng.dispose()


def make_test_app(database_url: str, upload_dir: Path, **overrides: Any) -> Flask:
    settings: dict[str, Any] = {
        "ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "UPLOAD_DIR": str(upload_dir),
        "PUBLIC_URL": "http://localhost",
        "extra": {"WTF_CSRF_ENABLED": False},
    }
    settings.update(overrides)
    application = create_app(Config(**settings))
    application.test_client_class = HTMLCheckingClient  # every rendered page must parse cleanly
    return application


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
def connection(engine: Engine) -> Iterator[Any]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def app(
    connection: Any, database_url: str, app_overrides: dict[str, Any], tmp_path: Path
) -> Iterator[Flask]:
    application = make_test_app(database_url, tmp_path / "uploads", **app_overrides)
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    db.set_session_factory(application, factory)
    application.extensions["cocreate.db"]["engine"] = connection.engine
    yield application


#: Where the `clock` fixture's time starts: a fixed instant, so expectations can be literal.
TEST_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(app: Flask) -> TestClock:
    """A clock the test moves (`clock.advance(timedelta(...))`), installed on the test app."""
    test_clock = TestClock(TEST_START)
    clock_module.install(app, test_clock)
    return test_clock


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """The session tests and factories write to. No app context stays pushed, so each request
    of the test client gets its own context and session, as in production."""
    session = db.session_factory(app)()
    factories_session.current = session
    yield session
    factories_session.current = None
    session.close()


@pytest.fixture
def request_ctx(app: Flask, db_session: Session) -> Iterator[None]:
    """For calling services directly: a request context whose session is `db_session`."""
    with app.test_request_context():
        g.db_session = db_session
        g.after_commit = []
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Auth:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = "correct horse battery staple") -> Any:
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self) -> Any:
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


@pytest.fixture
def concurrent(
    engine: Engine, database_url: str, app_overrides: dict[str, Any], tmp_path: Path
) -> Iterator[Concurrent]:
    """For `postgres_only` tests: committed data and truly concurrent transactions (see
    tests/concurrency.py). Every app table is emptied afterwards."""
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL")
    application = make_test_app(database_url, tmp_path / "uploads", **app_overrides)
    application.extensions["cocreate.db"]["engine"] = engine
    harness = Concurrent(engine, application)
    try:
        yield harness
    finally:
        harness.join()
        harness.empty_tables()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """One moto S3 server on 127.0.0.1 for the run (each test module uses its own bucket)."""
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as patch:
        fake_aws_environment(patch)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()
