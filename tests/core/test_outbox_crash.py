"""A process killed between its commit and the delivery loses no email: the next delivery run,
or the restarted server, sends it, exactly once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from cocreate.config import PROJECT_ROOT
from cocreate.core import jobs
from cocreate.core.cli import alembic_config
from cocreate.core.outbox import OutboxMessage, OutboxStatus
from tests.conftest import make_test_app
from tests.core.outbox_helpers import recording

KILLED = 70

# The server process: a sign-up whose request commits, then the process dies on the spot,
# before the after-commit step that would deliver the email (it is queued after this one).
SERVER = textwrap.dedent(
    """
    import os, sys
    from cocreate import create_app
    from cocreate.config import Config
    from cocreate.core import db

    app = create_app(Config(
        ENV="testing",
        SECRET_KEY="crash-test-secret-key-that-is-long-enough-0123",
        DATABASE_URL=sys.argv[1],
        UPLOAD_DIR=sys.argv[2],
        PUBLIC_URL="http://localhost",
        extra={"WTF_CSRF_ENABLED": False},
    ))
    app.before_request(lambda: db.after_commit(lambda: os._exit(int(sys.argv[3]))))
    response = app.test_client().post("/signup", data={
        "email": "zed@example.test", "display_name": "Zed", "password": "a long passphrase",
    })
    print("not killed:", response.status_code)
    """
)


@pytest.fixture(scope="module")
def crashed_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The database the killed process left (run once; each test works on a copy)."""
    tmp_path = tmp_path_factory.mktemp("crash")
    path = tmp_path / "crash.sqlite3"
    url = f"sqlite:///{path}"
    command.upgrade(alembic_config(url), "head")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SERVER, url, str(tmp_path / "uploads"), str(KILLED)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == KILLED, done.stdout + done.stderr
    return path


@pytest.fixture
def crashed_db(crashed_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "crashed.sqlite3"
    # WAL mode: the committed row may still be in the -wal file beside the database.
    for suffix in ("", "-wal", "-shm"):
        source = crashed_template.with_name(crashed_template.name + suffix)
        if source.exists():
            shutil.copyfile(source, path.with_name(path.name + suffix))
    return f"sqlite:///{path}"


def _rows(url: str) -> list[tuple[OutboxStatus, int, str]]:
    engine = create_engine(url)
    with Session(engine) as session:
        found = [
            (row.status, row.attempts, row.payload["to"])
            for row in session.scalars(select(OutboxMessage))
        ]
    engine.dispose()
    return found


def test_the_killed_request_committed_a_pending_email(crashed_db: str) -> None:
    assert _rows(crashed_db) == [(OutboxStatus.PENDING, 0, "zed@example.test")]


def test_jobs_deliver_sends_it_once(crashed_db: str, tmp_path: Path) -> None:
    app = make_test_app(crashed_db, tmp_path / "uploads")
    transport = recording(app)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "deliver"])
    assert first.output == "Outbox: 1 sent, 0 to retry later, 0 failed.\n"
    second = runner.invoke(args=["jobs", "deliver"])
    assert second.output == "Outbox: 0 sent, 0 to retry later, 0 failed.\n"
    assert [(s.mail.to, s.mail.subject) for s in transport.sent] == [
        ("zed@example.test", "Confirm your email address for cocreate")
    ]
    assert _rows(crashed_db) == [(OutboxStatus.SENT, 1, "zed@example.test")]


def test_the_restarted_server_sends_it_once(crashed_db: str, tmp_path: Path) -> None:
    # The embedded default: the first request starts the delivery thread, which sweeps first.
    app = make_test_app(crashed_db, tmp_path / "uploads", ENV="development")
    transport = recording(app)
    assert app.test_client().get("/healthz").status_code == 200
    worker = jobs.background(app)
    worker.wait_idle()
    worker.stop()
    assert transport.subjects == ["Confirm your email address for cocreate"]
    assert _rows(crashed_db) == [(OutboxStatus.SENT, 1, "zed@example.test")]
