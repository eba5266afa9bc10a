"""Fixtures of the designs tests: the signed-in designer, and the derivatives job held until a
test delivers it (designs/derivatives.py draws the images after the upload's commit)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from cocreate.core import jobs
from cocreate.core.outbox import OutboxMessage
from cocreate.designs.models import Design
from tests.accounts.factories import UserFactory

#: `deliver_row(row, now=None)`: how the delivery went (`{"sent": 1}`), and the row's design.
DeliverRow = Callable[..., tuple[dict[str, int], Design]]


@pytest.fixture
def designer(db_session: Session, auth: Any) -> Any:
    """A member signed in as des@example.test (a User)."""
    user = UserFactory(email="des@example.test")
    auth.login("des@example.test")
    return user


@pytest.fixture
def handed(app: Flask) -> list[list[int]]:
    """Nobody delivers after the commit: rows stay pending until the test delivers them (see
    `deliver_row`). The list holds the ids each commit handed over."""
    calls: list[list[int]] = []
    jobs.state(app).dispatch = lambda _app, ids: calls.append(ids)
    return calls


@pytest.fixture
def deliver_row(app: Flask, db_session: Session, handed: list[list[int]]) -> DeliverRow:
    """Deliver one held row (delivery is held, see `handed`) now, or at `now` for a retry due
    later; then read its design again as the job left it."""

    def run(row: OutboxMessage, *, now: datetime | None = None) -> tuple[dict[str, int], Design]:
        design_id = int(row.payload["design_id"])
        outcome = dict(jobs.deliver(app, [row.id], now=now))
        db_session.expire_all()
        return outcome, db_session.get_one(Design, design_id)

    return run
