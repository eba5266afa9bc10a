from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core import mail
from tests.accounts.factories import PASSWORD, UserFactory

GOOD = {
    "email": "New.Member@Example.test",
    "display_name": "New Member",
    "password": "a long enough passphrase",
}


def _link(app: Flask, path_prefix: str) -> str:
    body = mail.outbox(app)[0].body
    match = re.search(r"http://localhost(" + re.escape(path_prefix) + r"\S+)", body)
    assert match, body
    return match.group(1)


def test_signup_creates_unverified_member_and_sends_link(
    client: FlaskClient, app: Flask, db_session: Session
) -> None:
    response = client.post("/signup", data=GOOD)
    assert response.status_code == 302
    user = db_session.scalar(select(User).where(User.email == "new.member@example.test"))
    assert user is not None and user.email_verified_at is None
    assert mail.outbox(app)[0].to == "new.member@example.test"
    assert mail.outbox(app)[0].subject == "Confirm your email address for cocreate"

    response = client.get(_link(app, "/verify/"), follow_redirects=True)
    assert "is confirmed" in response.get_data(as_text=True)
    db_session.refresh(user)
    assert user.email_verified_at is not None


def test_signup_with_taken_email_says_so(client: FlaskClient, db_session: Session) -> None:
    UserFactory(email="new.member@example.test")
    response = client.post("/signup", data=GOOD)
    assert response.status_code == 422
    assert "An account already uses this email" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(User)) == 1


def test_signup_with_malformed_email(client: FlaskClient, db_session: Session) -> None:
    response = client.post("/signup", data={**GOOD, "email": "not-an-email@"})
    assert response.status_code == 422
    assert "This email address is not valid" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(User)) == 0


def test_signup_with_weak_password(client: FlaskClient, db_session: Session) -> None:
    response = client.post("/signup", data={**GOOD, "password": "short"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Use at least 10 characters (you typed 5)." in text
    response = client.post("/signup", data={**GOOD, "password": "1234567890"})
    assert "too easy to guess" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(User)) == 0


def test_signup_with_missing_fields_never_500(client: FlaskClient) -> None:
    response = client.post("/signup", data={})
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)


def test_login_logout(client: FlaskClient, db_session: Session) -> None:
    user = UserFactory(email="ana@example.test")
    response = client.post("/login", data={"email": "ANA@example.test", "password": PASSWORD})
    assert response.status_code == 302
    assert "ana@example.test" not in client.get("/").get_data(as_text=True)  # name shown, not email
    assert user.display_name in client.get("/").get_data(as_text=True)
    client.post("/logout")
    assert "Log in" in client.get("/").get_data(as_text=True)


def test_login_wrong_password(client: FlaskClient, db_session: Session) -> None:
    UserFactory(email="ana@example.test")
    response = client.post("/login", data={"email": "ana@example.test", "password": "nope"})
    assert response.status_code == 422
    assert "This email and password do not match an account." in response.get_data(as_text=True)


def test_login_next_only_local(client: FlaskClient, db_session: Session) -> None:
    UserFactory(email="ana@example.test")
    data = {"email": "ana@example.test", "password": PASSWORD}
    response = client.post("/login?next=//evil.example/x", data=data)
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=/settings", data=data)
    assert response.headers["Location"] == "/settings"


def test_eleventh_wrong_password_gets_429(client: FlaskClient, db_session: Session) -> None:
    UserFactory(email="ana@example.test")
    for _ in range(10):
        response = client.post("/login", data={"email": "ana@example.test", "password": "bad"})
        assert response.status_code == 422
    response = client.post("/login", data={"email": "ana@example.test", "password": "bad"})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_remember_me_sets_cookie(client: FlaskClient, db_session: Session) -> None:
    UserFactory(email="ana@example.test")
    client.post("/login", data={"email": "ana@example.test", "password": PASSWORD, "remember": "y"})
    # The session cookie itself outlives the browser, for SESSION_IDLE_DAYS (14) after each visit.
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None
    assert timedelta(days=13, hours=23) < cookie.expires - datetime.now(UTC) <= timedelta(days=14)


def test_inactive_account_cannot_log_in(client: FlaskClient, db_session: Session) -> None:
    UserFactory(email="ana@example.test", is_active_account=False)
    response = client.post("/login", data={"email": "ana@example.test", "password": PASSWORD})
    assert response.status_code == 422
