"""With REDIS_URL set, rate limits live in Redis: shared by every app server."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy.orm import Session

from cocreate.core import db
from tests.accounts.factories import UserFactory
from tests.conftest import make_test_app
from tests.redis_check import redis_up

REDIS_URL = "redis://127.0.0.1:6379/15"


pytestmark = pytest.mark.skipif(
    not redis_up(REDIS_URL), reason="Redis is not running on 127.0.0.1:6379"
)


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"REDIS_URL": REDIS_URL}


def test_login_limit_shared_through_redis(
    app: Flask, db_session: Session, tmp_path: Path, database_url: str
) -> None:
    UserFactory(email="ana@example.test")
    # A second app server: its own process state, the same database and the same Redis.
    other = make_test_app(database_url, tmp_path / "other", REDIS_URL=REDIS_URL)
    db.set_session_factory(other, db.session_factory(app))
    # A unique client address per run, so repeated runs never share counters.
    env = {"REMOTE_ADDR": f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"}
    data = {"email": "ana@example.test", "password": "wrong"}
    for client in (app.test_client(), other.test_client()):
        for _ in range(5):
            assert client.post("/login", data=data, environ_base=env).status_code == 422
    # Ten failures spread over two servers: the eleventh is refused by either.
    assert app.test_client().post("/login", data=data, environ_base=env).status_code == 429
    assert redis.Redis.from_url(REDIS_URL).keys("LIMITS*"), "the counters should be in Redis"
