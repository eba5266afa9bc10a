"""Flask-Login wiring, log-in and log-out, and the access decorators every protected view uses.

Being logged in means holding a live server-side session (see sessions.py): Flask's signed
cookie carries its random token, and the user loader accepts the cookie only while that
session's row is alive. Flask-Login's own remember-me cookie is not used: "keep me logged in"
makes the session cookie itself outlive the browser.

The decorators tag the view with its access level, so a test can walk the URL map and check
that every member route refuses anonymous visitors and every staff and admin route refuses
members.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, request
from flask import session as cookie_session
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from cocreate.accounts import sessions
from cocreate.accounts.models import User, UserSession
from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock

F = TypeVar("F", bound=Callable[..., Any])
ACCESS_ATTR = "cocreate_access"
#: The key of the session token in Flask's signed cookie.
SESSION_KEY = "auth_session"

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


def lifetimes() -> sessions.Lifetimes:
    return sessions.Lifetimes.from_config(settings())


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Flask-Login's user id alone proves nothing: the cookie's token must open a live session
    of that same member."""
    token = cookie_session.get(SESSION_KEY)
    if not isinstance(token, str):
        return None
    now = clock().now()
    writing = db.writing()
    row = sessions.find(db.session(), token, now=now, lifetimes=lifetimes(), touch=writing)
    if row is None or str(row.user_id) != user_id or not row.user.is_active:
        return None
    if not writing and sessions.due_for_touch(row, now):
        # A page view reads in a deferred transaction: writing there would upgrade its lock,
        # which SQLite refuses at once ("database is locked") if anyone wrote meanwhile. The
        # activity goes in a short write transaction of its own instead.
        with db.session_factory(current_app, write=True)() as writer:
            sessions.touch_apart(writer, row.id, now)
            writer.commit()
    g.auth_session = row
    return row.user


def current_session() -> UserSession | None:
    """The live session of this request's member, if logged in."""
    if not current_user.is_authenticated:
        return None
    row: UserSession | None = g.get("auth_session")
    return row


def log_in(user: User, *, kept: bool = False) -> bool:
    """Start a new session for `user` on this device; `kept` is "keep me logged in"."""
    if not user.is_active:
        return False
    db_session = db.session()
    now = clock().now()
    # A new token at every log-in (session fixation), and the one it replaces ends.
    previous = cookie_session.pop(SESSION_KEY, None)
    if isinstance(previous, str):
        sessions.end_token(db_session, previous, now=now)
    row, token = sessions.start(
        db_session,
        user,
        kept=kept,
        user_agent=request.user_agent.string,
        now=now,
        lifetimes=lifetimes(),
    )
    cookie_session[SESSION_KEY] = token
    # Without "keep me logged in" the cookie ends with the browser.
    cookie_session.permanent = kept
    login_user(user)
    g.auth_session = row
    return True


def log_out() -> None:
    """End this device's session on the server, so a copy of its cookie opens nothing."""
    token = cookie_session.pop(SESSION_KEY, None)
    if isinstance(token, str):
        sessions.end_token(db.session(), token, now=clock().now())
    cookie_session.permanent = False
    g.pop("auth_session", None)
    logout_user()


def _requires(level: str, check: Callable[[User], bool]) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @login_required
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, level)
        return wrapper

    return decorator


member_required = _requires("member", lambda user: True)
staff_required = _requires("staff", lambda user: user.is_staff)
admin_required = _requires("admin", lambda user: user.is_admin)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    # A kept session's cookie expires after the idle timeout; each visit pushes it back.
    app.permanent_session_lifetime = timedelta(days=settings(app).SESSION_IDLE_DAYS)
