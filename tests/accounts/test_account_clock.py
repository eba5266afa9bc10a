"""Account rules read the app's clock: reset-link expiry at its exact instant, login time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts.models import PasswordResetToken, User
from cocreate.accounts.passwords import verify_password
from cocreate.core.clock import TestClock
from tests.accounts.factories import PASSWORD, UserFactory
from tests.accounts.test_password_reset import _reset_path

NEW = "a brand new passphrase"


def _request_link(client: FlaskClient, app: Flask) -> str:
    UserFactory(email="ana@example.test")
    client.post("/password/forgot", data={"email": "ana@example.test"})
    return _reset_path(app)


def test_reset_link_expires_two_hours_after_the_request(
    client: FlaskClient, app: Flask, db_session: Session, clock: TestClock
) -> None:
    path = _request_link(client, app)  # at 09:00:00
    row = db_session.scalars(select(PasswordResetToken)).one()
    assert row.expires_at == datetime(2026, 3, 2, 11, 0, tzinfo=UTC)

    clock.set(datetime(2026, 3, 2, 10, 59, 59, tzinfo=UTC))
    assert client.get(path).status_code == 200
    # At the expiry instant itself the link is refused (valid strictly before expires_at).
    clock.advance(timedelta(seconds=1))
    response = client.get(path, follow_redirects=True)
    assert "This password reset link has expired. Ask for a new one." in response.get_data(
        as_text=True
    )
    response = client.post(path, data={"password": NEW, "confirm": NEW}, follow_redirects=True)
    assert "has expired" in response.get_data(as_text=True)
    user = db_session.scalars(select(User)).one()
    db_session.refresh(user)
    assert verify_password(user.password_hash, PASSWORD)


def test_reset_link_works_one_second_before_expiry(
    client: FlaskClient, app: Flask, db_session: Session, clock: TestClock
) -> None:
    path = _request_link(client, app)
    clock.set(datetime(2026, 3, 2, 10, 59, 59, tzinfo=UTC))
    response = client.post(path, data={"password": NEW, "confirm": NEW})
    assert response.status_code == 302
    user = db_session.scalars(select(User)).one()
    db_session.refresh(user)
    assert verify_password(user.password_hash, NEW)
    row = db_session.scalars(select(PasswordResetToken)).one()
    db_session.refresh(row)
    assert row.used_at == datetime(2026, 3, 2, 10, 59, 59, tzinfo=UTC)


def test_login_time_is_the_clocks(
    client: FlaskClient, db_session: Session, clock: TestClock
) -> None:
    user = UserFactory(email="ana@example.test")
    clock.set(datetime(2026, 3, 2, 14, 30, 5, tzinfo=UTC))
    response = client.post("/login", data={"email": "ana@example.test", "password": PASSWORD})
    assert response.status_code == 302
    db_session.refresh(user)
    assert user.last_login_at == datetime(2026, 3, 2, 14, 30, 5, tzinfo=UTC)
