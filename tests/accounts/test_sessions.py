"""Server-side sessions: logout ends them for good, members see and end their own."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.accounts.factories import PASSWORD, UserFactory


def _log_in(
    client: FlaskClient, email: str = "ana@example.test", *, remember: bool = False
) -> None:
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302


def _cookies(client: FlaskClient) -> dict[str, str]:
    return {
        cookie.key: cookie.value
        for cookie in (client.get_cookie(name) for name in ("session", "remember_token"))
        if cookie is not None
    }


def _replay(app: Flask, cookies: dict[str, str]) -> FlaskClient:
    fresh = app.test_client()
    for key, value in cookies.items():
        fresh.set_cookie(key, value)
    return fresh


def _refused(client: FlaskClient) -> bool:
    response = client.get("/settings")
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_session_cookie_copied_before_logout_is_refused_after(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    UserFactory(email="ana@example.test")
    _log_in(client)
    copied = _cookies(client)
    assert "session" in copied
    assert _replay(app, copied).get("/settings").status_code == 200
    client.post("/logout")
    assert _refused(_replay(app, copied))


def test_kept_logged_in_cookies_copied_before_logout_are_refused_after(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    UserFactory(email="ana@example.test")
    _log_in(client, remember=True)
    copied = _cookies(client)
    assert _replay(app, copied).get("/settings").status_code == 200
    client.post("/logout")
    assert _refused(_replay(app, copied))
    # Each cookie alone, too: the "keep me logged in" one is what a browser keeps on restart.
    for key, value in copied.items():
        assert _refused(_replay(app, {key: value})), key
