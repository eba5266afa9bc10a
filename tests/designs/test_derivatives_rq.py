"""With REDIS_URL set, the upload's commit enqueues an RQ job, and the worker draws the images."""

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

from cocreate.core import jobs
from cocreate.core.outbox import OutboxMessage, OutboxStatus
from cocreate.designs.models import Design, Mockup
from tests.accounts.factories import UserFactory
from tests.designs.test_design_pages import SMALL, _form, artwork_png
from tests.redis_check import redis_up

REDIS_URL = "redis://127.0.0.1:6379/12"

pytestmark = pytest.mark.skipif(
    not redis_up(REDIS_URL), reason="Redis is not running on 127.0.0.1:6379"
)


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {**SMALL, "REDIS_URL": REDIS_URL}


@pytest.fixture
def redis_conn(app: Flask) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(REDIS_URL)
    before = set(conn.keys())
    jobs.state(app).queue_name = f"cocreate-test-{uuid.uuid4().hex}"
    yield conn
    created = set(conn.keys()) - before
    if created:
        conn.delete(*created)
    conn.close()


def test_the_worker_draws_the_mockups(
    client: FlaskClient, app: Flask, db_session: Session, auth: Any, redis_conn: redis.Redis
) -> None:
    UserFactory(email="des@example.test")
    auth.login("des@example.test")
    response = client.post(
        "/designs/new", data=_form(artwork_png()), content_type="multipart/form-data"
    )
    assert response.status_code == 302
    design = db_session.scalars(select(Design)).one()
    [row] = db_session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "designs.images"))
    assert row.status is OutboxStatus.PENDING and design.thumb_webp_key is None
    queue = jobs.rq_queue(app, redis_conn)
    [job] = queue.get_jobs()
    assert job.func_name == "cocreate.core.jobs.delivery_job"
    assert job.args == ([row.id],)

    with app.app_context():
        assert jobs.make_worker(app, redis_conn).work(burst=True) is True
    db_session.expire_all()
    assert db_session.get_one(OutboxMessage, row.id).status is OutboxStatus.SENT
    design = db_session.get_one(Design, design.id)
    assert design.images_ready and design.gallery_jpeg_key is not None
    mockups = db_session.scalars(select(Mockup).where(Mockup.design_id == design.id)).all()
    assert len(mockups) == 9
    assert queue.count == 0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your mockups are being drawn" not in page and f"/media/{mockups[0].key}" in page
