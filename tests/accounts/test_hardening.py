"""Account hardening: email links on PUBLIC_URL, reset links revoked, remember-me kept."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts.models import PasswordResetToken, User
from cocreate.accounts.passwords import verify_password
from cocreate.core import mail
from tests.accounts.factories import PASSWORD, UserFactory
from tests.accounts.test_password_reset import _reset_path

NEW = "a fresh passphrase"


def test_reset_link_ignores_forged_host(
    client: FlaskClient, app: Flask, db_session: Session
) -> None:
    UserFactory(email="ana@example.test")
    client.post(
        "/password/forgot", data={"email": "ana@example.test"}, base_url="http://evil.example"
    )
    body = mail.outbox(app)[0].body
    assert "evil.example" not in body
    assert "http://localhost/password/reset/" in body


def _change_password(client: FlaskClient) -> None:
    client.post(
        "/settings/password",
        data={
            "password-current_password": PASSWORD,
            "password-password": NEW,
            "password-confirm": NEW,
        },
    )


def test_password_change_revokes_pending_reset_links(
    client: FlaskClient, app: Flask, db_session: Session
) -> None:
    user = UserFactory(email="ana@example.test")
    client.post("/password/forgot", data={"email": "ana@example.test"})
    path = _reset_path(app)
    client.post("/login", data={"email": "ana@example.test", "password": PASSWORD})
    _change_password(client)
    client.post("/logout")
    response = client.post(
        path,
        data={"password": "attacker passphrase", "confirm": "attacker passphrase"},
        follow_redirects=True,
    )
    assert "already been used" in response.get_data(as_text=True)
    db_session.refresh(user)
    assert verify_password(user.password_hash, NEW)


def test_email_change_revokes_pending_reset_links(client: FlaskClient, db_session: Session) -> None:
    UserFactory(email="ana@example.test")
    client.post("/password/forgot", data={"email": "ana@example.test"})
    client.post("/login", data={"email": "ana@example.test", "password": PASSWORD})
    client.post(
        "/settings/email",
        data={"email-email": "ana@new.example", "email-current_password": PASSWORD},
    )
    assert db_session.scalars(select(PasswordResetToken.used_at)).one() is not None


def test_password_change_keeps_remember_me(app: Flask, db_session: Session) -> None:
    UserFactory(email="ana@example.test")
    client = app.test_client()
    client.post("/login", data={"email": "ana@example.test", "password": PASSWORD, "remember": "y"})
    _change_password(client)
    # "Keep me logged in" is a session cookie that outlives the browser: it still has an expiry.
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None
    assert client.get("/settings").status_code == 200


def test_display_name_is_one_line(client: FlaskClient, db_session: Session) -> None:
    client.post(
        "/signup",
        data={
            "email": "x@example.test",
            "display_name": "Eve\r\nBcc: a@b.c",
            "password": "a long enough passphrase",
        },
    )
    created = db_session.scalar(select(User).where(User.email == "x@example.test"))
    assert created is not None and created.display_name == "Eve Bcc: a@b.c"
