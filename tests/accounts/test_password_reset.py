from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cocreate.accounts.models import PasswordResetToken
from cocreate.accounts.passwords import verify_password
from cocreate.core import mail
from cocreate.core.db import now_utc
from tests.accounts.factories import UserFactory

NEW = "a brand new passphrase"


def _reset_path(app: Flask) -> str:
    match = re.search(r"http://localhost(/password/reset/\S+)", mail.outbox(app)[0].body)
    assert match
    return match.group(1)


def test_reset_flow_single_use(client: FlaskClient, app: Flask, db_session: Session) -> None:
    user = UserFactory(email="ana@example.test")
    response = client.post("/password/forgot", data={"email": "ana@example.test"})
    assert response.status_code == 302
    path = _reset_path(app)
    assert client.get(path).status_code == 200

    response = client.post(path, data={"password": NEW, "confirm": NEW})
    assert response.status_code == 302
    db_session.refresh(user)
    assert verify_password(user.password_hash, NEW)

    client.post("/logout")
    response = client.post(
        path,
        data={"password": "another passphrase!", "confirm": "another passphrase!"},
        follow_redirects=True,
    )
    assert "already been used" in response.get_data(as_text=True)
    db_session.refresh(user)
    assert verify_password(user.password_hash, NEW)


def test_expired_reset_token_refused(client: FlaskClient, app: Flask, db_session: Session) -> None:
    UserFactory(email="ana@example.test")
    client.post("/password/forgot", data={"email": "ana@example.test"})
    path = _reset_path(app)
    db_session.execute(
        update(PasswordResetToken).values(expires_at=now_utc() - timedelta(minutes=1))
    )
    db_session.commit()
    response = client.get(path, follow_redirects=True)
    assert "has expired" in response.get_data(as_text=True)


def test_unknown_email_gets_same_answer_and_no_mail(
    client: FlaskClient, app: Flask, db_session: Session
) -> None:
    response = client.post(
        "/password/forgot", data={"email": "ghost@example.test"}, follow_redirects=True
    )
    assert "If an account uses ghost@example.test" in response.get_data(as_text=True)
    assert len(mail.outbox(app)) == 0
    assert db_session.scalar(select(PasswordResetToken)) is None


def test_bogus_token_refused(client: FlaskClient, db_session: Session) -> None:
    response = client.get("/password/reset/not-a-token", follow_redirects=True)
    assert "is not valid" in response.get_data(as_text=True)


def test_reset_with_weak_password_keeps_token(
    client: FlaskClient, app: Flask, db_session: Session
) -> None:
    UserFactory(email="ana@example.test")
    client.post("/password/forgot", data={"email": "ana@example.test"})
    path = _reset_path(app)
    response = client.post(path, data={"password": "short", "confirm": "short"})
    assert response.status_code == 422
    assert "Use at least 10 characters" in response.get_data(as_text=True)
    assert db_session.scalar(select(PasswordResetToken.used_at)) is None
