"""With REDIS_URL set, the after-commit step enqueues an RQ job and an RQ worker delivers it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.core import db, jobs, outbox
from cocreate.core.outbox import OutboxMessage, OutboxStatus
from tests.accounts.factories import UserFactory
from tests.core.outbox_helpers import RecordingTransport, recording
from tests.redis_check import redis_up

REDIS_URL = "redis://127.0.0.1:6379/12"
PAYLOAD = {"to": "ana@example.test", "subject": "Hello", "body": "Hi Ana\n", "locale": "en"}


pytestmark = pytest.mark.skipif(
    not redis_up(REDIS_URL), reason="Redis is not running on 127.0.0.1:6379"
)


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"REDIS_URL": REDIS_URL}


@pytest.fixture
def redis_conn() -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(REDIS_URL)
    before = set(conn.keys())
    yield conn
    created = set(conn.keys()) - before
    if created:
        conn.delete(*created)
    conn.close()


@pytest.fixture
def transport(app: Flask, redis_conn: redis.Redis) -> RecordingTransport:
    jobs.state(app).queue_name = f"cocreate-test-{uuid.uuid4().hex}"
    return recording(app)


def _row(session: Session) -> OutboxMessage:
    session.expire_all()
    [row] = session.scalars(select(OutboxMessage))
    return row


def test_commit_enqueues_a_job_that_the_worker_runs(
    client: FlaskClient,
    app: Flask,
    db_session: Session,
    transport: RecordingTransport,
    redis_conn: redis.Redis,
) -> None:
    UserFactory(email="ana@example.test")
    assert client.post("/password/forgot", data={"email": "ana@example.test"}).status_code == 302
    row = _row(db_session)
    assert row.status is OutboxStatus.PENDING
    assert transport.sent == []

    queue = jobs.rq_queue(app, redis_conn)
    [job] = queue.get_jobs()
    assert job.func_name == "cocreate.core.jobs.delivery_job"
    assert job.args == ([row.id],)

    with app.app_context():
        assert jobs.make_worker(app, redis_conn).work(burst=True) is True
    assert transport.subjects == ["Choose a new cocreate password"]
    assert transport.sent[0].in_request is False
    row = _row(db_session)
    assert row.status is OutboxStatus.SENT and row.attempts == 1
    assert queue.count == 0


def test_worker_command_sweeps_rows_left_behind_first(
    app: Flask, db_session: Session, transport: RecordingTransport
) -> None:
    # A row committed by a process that died before enqueueing its job.
    outbox.add(db_session, "email", PAYLOAD, now=db.now_utc())
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert "Outbox sweep: 1 sent, 0 to retry later, 0 failed." in result.output
    assert transport.subjects == ["Hello"]
    assert _row(db_session).status is OutboxStatus.SENT
