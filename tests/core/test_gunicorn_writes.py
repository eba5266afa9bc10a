"""Simultaneous writes to one design under real gunicorn with 2 workers on a SQLite file.

`with_for_update()` does nothing on SQLite; writing requests begin with BEGIN IMMEDIATE so
that concurrent writers queue on the busy timeout instead of failing with "database is locked".
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.core import db
from cocreate.core.cli import alembic_config
from cocreate.designs.models import Design, DesignState, DesignTransition
from tests import factories_session
from tests.accounts.factories import PASSWORD, StaffFactory
from tests.designs.factories import DesignFactory

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or shutil.which(
    "gunicorn"
)
WRITERS = 16

pytestmark = [
    pytest.mark.skipif(GUNICORN is None, reason="gunicorn is not installed"),
    pytest.mark.skipif(
        bool(os.environ.get("TEST_DATABASE_URL")),
        reason="about SQLite; the PostgreSQL run skips it",
    ),
]


@dataclass
class Answer:
    status: int
    body: str
    cookies: list[str] = field(default_factory=list)


@dataclass
class Server:
    port: int
    log: list[str]

    def request(self, method: str, path: str, body: str = "", cookie: str = "") -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Host": "localhost"}
        if cookie:
            headers["Cookie"] = cookie
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            cookies = response.headers.get_all("Set-Cookie") or []
        finally:
            conn.close()
        return Answer(response.status, text, cookies)


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}"
    command.upgrade(alembic_config(url), "head")
    yield url


def _seed(url: str) -> int:
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            factories_session.current = session
            try:
                StaffFactory(email="staff@example.test")
                design = DesignFactory(state=DesignState.SUBMITTED, title="Wanted By All")
                session.commit()
                return design.id
            finally:
                factories_session.current = None
    finally:
        engine.dispose()


@pytest.fixture
def server(sqlite_file: str, tmp_path: Path) -> Iterator[Server]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "COCREATE_TEST_DATABASE_URL": sqlite_file,
        "COCREATE_TEST_UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    process = subprocess.Popen(
        [
            str(GUNICORN),
            "--workers",
            "2",
            "--bind",
            "127.0.0.1:0",
            "--preload",
            "tests.core.gunicorn_app:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    log: list[str] = []
    listening = threading.Event()
    port: list[int] = []

    def drain() -> None:
        # Read the log to learn the port, and keep reading so the pipe never fills up.
        assert process.stderr is not None
        for line in process.stderr:
            log.append(line)
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line)
            if found:
                port.append(int(found.group(1)))
                listening.set()
        listening.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        # The master listens before forking: requests wait in the backlog for the workers.
        assert listening.wait(timeout=10) and port, "gunicorn did not start:\n" + "".join(log)
        yield Server(port[0], log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        reader.join(timeout=5)
        if process.stderr is not None:
            process.stderr.close()


def test_sixteen_simultaneous_accepts_one_wins_none_fails(sqlite_file: str, server: Server) -> None:
    design_id = _seed(sqlite_file)
    login = server.request("POST", "/login", f"email=staff%40example.test&password={PASSWORD}")
    assert login.status == 302, login.body
    cookie = "; ".join(c.split(";", 1)[0] for c in login.cookies)

    start = threading.Barrier(WRITERS)

    def accept(_: int) -> Answer:
        start.wait(timeout=10)
        return server.request("POST", f"/staff/designs/{design_id}/accept", cookie=cookie)

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        answers = list(pool.map(accept, range(WRITERS)))

    statuses = sorted(a.status for a in answers)
    assert statuses == [302] + [409] * 15, "".join(server.log)
    for answer in answers:
        if answer.status == 409:
            assert "Only submitted designs can be opened to voting." in answer.body

    engine = db.make_engine(sqlite_file)
    try:
        with Session(engine) as session:
            design = session.get(Design, design_id)
            assert design is not None and design.state is DesignState.VOTING
            audits = session.scalar(
                select(func.count())
                .select_from(DesignTransition)
                .where(DesignTransition.design_id == design_id)
            )
            assert audits == 1
    finally:
        engine.dispose()
