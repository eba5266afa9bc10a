"""Server-side sessions: logout ends them for good, members see and end their own."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts import sessions
from cocreate.accounts.models import UserSession
from cocreate.core.clock import TestClock
from tests.accounts.factories import PASSWORD, UserFactory
from tests.accounts.test_password_reset import _reset_path


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


FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LIFETIMES = sessions.Lifetimes(
    idle_kept=timedelta(days=14), idle_browser=timedelta(hours=12), absolute=timedelta(days=30)
)


def _device(app: Flask, user_agent: str, email: str = "ana@example.test") -> FlaskClient:
    device = app.test_client()
    device.environ_base["HTTP_USER_AGENT"] = user_agent
    _log_in(device, email)
    return device


def _token(app: Flask, client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)  # type: ignore[attr-defined]
    token: str = data["auth_session"]
    return token


def _rows(db_session: Session) -> list[UserSession]:
    db_session.expire_all()
    return list(db_session.scalars(select(UserSession).order_by(UserSession.id)))


def _ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"/settings/sessions/(\d+)/end", page)]


def test_logout_ends_the_server_session(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    UserFactory(email="ana@example.test")
    _log_in(client)
    (row,) = _rows(db_session)
    assert row.revoked_at is None
    client.post("/logout")
    (row,) = _rows(db_session)
    assert row.revoked_at is not None


def test_token_is_stored_only_as_its_hash(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    UserFactory(email="ana@example.test")
    _log_in(client)
    token = _token(app, client)
    assert len(token) == 43  # 32 random bytes, URL-safe base64
    (row,) = _rows(db_session)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = db_session.execute(select(UserSession.__table__)).one()
    assert token not in [str(value) for value in stored]


def test_each_login_gets_a_new_token(app: Flask, client: FlaskClient, db_session: Session) -> None:
    UserFactory(email="ana@example.test")
    _log_in(client)
    first = _token(app, client)
    client.post("/logout")
    _log_in(client)
    assert _token(app, client) != first
    # The ended session is cleared away at the next log-in; the new one is alone.
    (row,) = _rows(db_session)
    assert row.revoked_at is None


def test_browser_session_cookie_ends_with_the_browser(
    client: FlaskClient, db_session: Session
) -> None:
    UserFactory(email="ana@example.test")
    _log_in(client)
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is None


def test_old_remember_me_cookie_is_refused(app: Flask, db_session: Session) -> None:
    # What Flask-Login's remember cookie held before: the user id, properly signed.
    user = UserFactory(email="ana@example.test")
    with app.test_request_context():
        value = encode_cookie(f"{user.id}:1")
    assert _refused(_replay(app, {"remember_token": value}))


def test_settings_list_sessions_and_mark_this_device(app: Flask, db_session: Session) -> None:
    UserFactory(email="ana@example.test")
    UserFactory(email="bo@example.test")
    _device(app, SAFARI_IPHONE)
    _device(app, CHROME_WINDOWS, "bo@example.test")
    laptop = _device(app, FIREFOX_LINUX)
    page = laptop.get("/settings").get_data(as_text=True)
    assert "Where you are logged in" in page
    assert 'Firefox on Linux <span class="badge">this device</span>' in page
    assert "Safari on iOS" in page
    assert "Chrome on Windows" not in page  # Bo's
    assert page.count("this device") == 1
    assert len(_ids(page)) == 2
    assert "Log out everywhere else" in page


def test_settings_in_french(app: Flask, db_session: Session) -> None:
    UserFactory(email="ana@example.test", locale="fr")
    laptop = _device(app, FIREFOX_LINUX)
    page = laptop.get("/settings").get_data(as_text=True)
    assert 'Firefox sur Linux <span class="badge">cet appareil</span>' in page
    # Alone: nothing else to end.
    assert "Déconnecter partout ailleurs" not in page


def test_ending_one_session_logs_that_device_out(app: Flask, db_session: Session) -> None:
    UserFactory(email="ana@example.test")
    phone = _device(app, SAFARI_IPHONE)
    laptop = _device(app, FIREFOX_LINUX)
    phone_row, laptop_row = _rows(db_session)
    response = laptop.post(f"/settings/sessions/{phone_row.id}/end")
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings#sessions"
    assert _refused(phone)
    page = laptop.get("/settings").get_data(as_text=True)
    assert "That session is ended" in page
    assert _ids(page) == [laptop_row.id]
    # Ending it again: it is no longer there.
    assert laptop.post(f"/settings/sessions/{phone_row.id}/end").status_code == 404


def test_ending_this_devices_session_logs_out(app: Flask, db_session: Session) -> None:
    UserFactory(email="ana@example.test")
    laptop = _device(app, FIREFOX_LINUX)
    (row,) = _rows(db_session)
    response = laptop.post(f"/settings/sessions/{row.id}/end")
    assert response.headers["Location"] == "/"
    assert _refused(laptop)
    (row,) = _rows(db_session)
    assert row.revoked_at is not None


def test_ending_all_others_keeps_this_one(app: Flask, db_session: Session) -> None:
    UserFactory(email="ana@example.test")
    UserFactory(email="bo@example.test")
    phone = _device(app, SAFARI_IPHONE)
    tablet = _device(app, SAFARI_IPHONE)
    bo = _device(app, CHROME_WINDOWS, "bo@example.test")
    laptop = _device(app, FIREFOX_LINUX)
    response = laptop.post("/settings/sessions/end-others")
    assert response.headers["Location"] == "/settings#sessions"
    assert _refused(phone)
    assert _refused(tablet)
    assert laptop.get("/settings").status_code == 200
    assert bo.get("/settings").status_code == 200


def test_another_members_session_is_404(app: Flask, db_session: Session) -> None:
    UserFactory(email="ana@example.test")
    UserFactory(email="bo@example.test")
    bo = _device(app, CHROME_WINDOWS, "bo@example.test")
    laptop = _device(app, FIREFOX_LINUX)
    bo_row, _laptop_row = _rows(db_session)
    assert laptop.post(f"/settings/sessions/{bo_row.id}/end").status_code == 404
    assert laptop.post("/settings/sessions/999999/end").status_code == 404
    assert bo.get("/settings").status_code == 200
    assert _rows(db_session)[0].revoked_at is None


def test_session_routes_need_login_and_post(client: FlaskClient, db_session: Session) -> None:
    for path in ("/settings/sessions/1/end", "/settings/sessions/end-others"):
        response = client.post(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
        assert client.get(path).status_code == 405


def test_password_change_ends_other_sessions(app: Flask, db_session: Session) -> None:
    UserFactory(email="ana@example.test")
    phone = _device(app, SAFARI_IPHONE)
    laptop = _device(app, FIREFOX_LINUX)
    new = "a fresh passphrase"
    laptop.post(
        "/settings/password",
        data={
            "password-current_password": PASSWORD,
            "password-password": new,
            "password-confirm": new,
        },
    )
    assert _refused(phone)
    assert laptop.get("/settings").status_code == 200


def test_password_reset_ends_every_session(app: Flask, db_session: Session) -> None:
    UserFactory(email="ana@example.test")
    phone = _device(app, SAFARI_IPHONE)
    stranger = app.test_client()
    stranger.post("/password/forgot", data={"email": "ana@example.test"})
    path = _reset_path(app)
    new = "a fresh passphrase"
    assert stranger.post(path, data={"password": new, "confirm": new}).status_code == 302
    assert _refused(phone)
    assert stranger.get("/settings").status_code == 200


def test_deactivated_member_is_logged_out(app: Flask, db_session: Session) -> None:
    user = UserFactory(email="ana@example.test")
    laptop = _device(app, FIREFOX_LINUX)
    user.is_active_account = False
    db_session.flush()
    assert _refused(laptop)


def test_idle_browser_session_refused_at_the_exact_boundary(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    clock.set(T0)
    UserFactory(email="ana@example.test")
    laptop = _device(app, FIREFOX_LINUX)
    clock.set(T0 + timedelta(hours=12))
    assert _refused(laptop)
    clock.set(T0 + timedelta(hours=12) - timedelta(microseconds=1))
    assert laptop.get("/settings").status_code == 200


# The service, at exact boundaries: a session is over at the instant it ends.


def _start(db_session: Session, *, kept: bool) -> str:
    user = UserFactory()
    _row, token = sessions.start(
        db_session, user, kept=kept, user_agent=FIREFOX_LINUX, now=T0, lifetimes=LIFETIMES
    )
    return token


def _alive(db_session: Session, token: str, at: datetime) -> bool:
    return sessions.find(db_session, token, now=at, lifetimes=LIFETIMES) is not None


def test_browser_session_idle_boundary(db_session: Session) -> None:
    token = _start(db_session, kept=False)
    assert not _alive(db_session, token, T0 + timedelta(hours=12))
    assert _alive(db_session, token, T0 + timedelta(hours=12) - timedelta(microseconds=1))


def test_kept_session_idle_boundary(db_session: Session) -> None:
    token = _start(db_session, kept=True)
    assert not _alive(db_session, token, T0 + timedelta(days=14))
    assert _alive(db_session, token, T0 + timedelta(days=14) - timedelta(microseconds=1))


def test_absolute_lifetime_boundary_however_active(db_session: Session) -> None:
    token = _start(db_session, kept=True)
    assert _alive(db_session, token, T0 + timedelta(days=10))
    assert _alive(db_session, token, T0 + timedelta(days=20))
    assert not _alive(db_session, token, T0 + timedelta(days=30))
    assert _alive(db_session, token, T0 + timedelta(days=30) - timedelta(microseconds=1))


def test_last_seen_written_at_most_every_five_minutes(db_session: Session) -> None:
    token = _start(db_session, kept=True)
    row = sessions.find(
        db_session, token, now=T0 + timedelta(minutes=4, seconds=59), lifetimes=LIFETIMES
    )
    assert row is not None and row.last_seen_at == T0
    row = sessions.find(db_session, token, now=T0 + timedelta(minutes=5), lifetimes=LIFETIMES)
    assert row is not None and row.last_seen_at == T0 + timedelta(minutes=5)


def test_revoked_session_is_dead(db_session: Session) -> None:
    token = _start(db_session, kept=True)
    sessions.end_token(db_session, token, now=T0 + timedelta(minutes=1))
    assert not _alive(db_session, token, T0 + timedelta(minutes=2))
    assert not _alive(db_session, "", T0)


def test_user_agent_is_truncated(db_session: Session) -> None:
    user = UserFactory()
    row, _token = sessions.start(
        db_session, user, kept=False, user_agent="x" * 300, now=T0, lifetimes=LIFETIMES
    )
    assert row.user_agent == "x" * 255


@pytest.mark.parametrize(
    ("user_agent", "summary"),
    [
        (FIREFOX_LINUX, "Firefox on Linux"),
        (SAFARI_IPHONE, "Safari on iOS"),
        (CHROME_WINDOWS, "Chrome on Windows"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("curl/8.5.0", "Unknown device"),
        ("", "Unknown device"),
    ],
)
def test_device_summary(request_ctx: None, user_agent: str, summary: str) -> None:
    assert sessions.describe_device(user_agent) == summary


def test_ending_sessions_needs_the_forms_csrf_token(app: Flask, db_session: Session) -> None:
    UserFactory(email="ana@example.test")
    phone = _device(app, SAFARI_IPHONE)
    laptop = _device(app, FIREFOX_LINUX)
    app.config["WTF_CSRF_ENABLED"] = True
    assert laptop.post("/settings/sessions/end-others").status_code == 400
    assert phone.get("/settings").status_code == 200
    page = laptop.get("/settings").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    response = laptop.post("/settings/sessions/end-others", data={"csrf_token": match.group(1)})
    assert response.status_code == 302
    assert _refused(phone)
