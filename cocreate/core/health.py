"""What `/healthz` checks: the database answers, and Redis when REDIS_URL is set.

Cheap enough for a load balancer to ask every few seconds: one `SELECT 1` and one `PING`, with
short timeouts, no session cookie written, no rate limit. Failures are logged with their cause;
the answer only names what failed.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import text

from cocreate.core import db
from cocreate.core.metrics import redis_client

logger = logging.getLogger(__name__)

OK, FAILED = "ok", "failed"


def check_database() -> str:
    try:
        db.session().execute(text("SELECT 1"))
    except Exception:
        logger.exception("health check: the database did not answer")
        db.rollback()
        return FAILED
    return OK


def check_redis(app: Flask) -> str | None:
    """OK or FAILED; None when the app does not use Redis."""
    client = redis_client(app)
    if client is None:
        return None
    try:
        client.ping()
    except Exception:
        logger.exception("health check: Redis did not answer")
        return FAILED
    return OK


def report(app: Flask) -> tuple[dict[str, str], bool]:
    """Each service's state and whether all are healthy."""
    checks = {"database": check_database()}
    redis_state = check_redis(app)
    if redis_state is not None:
        checks["redis"] = redis_state
    healthy = all(state == OK for state in checks.values())
    return {"status": OK if healthy else FAILED, **checks}, healthy
