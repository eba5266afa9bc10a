"""Flask-Login wiring and the access decorators every protected view uses.

The decorators tag the view with its access level, so a test can walk the URL map and check
that every staff and admin route refuses members.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_required
from sqlalchemy import select

from cocreate.accounts.models import User
from cocreate.core import db

F = TypeVar("F", bound=Callable[..., Any])
ACCESS_ATTR = "cocreate_access"

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    uid, _, version = user_id.partition(":")
    if not uid.isdigit() or not version.isdigit():
        return None
    user = db.session().scalar(select(User).where(User.id == int(uid)))
    if user is None or user.session_version != int(version):
        return None
    return user


def _requires(level: str, check: Callable[[User], bool]) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @login_required
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, level)
        return wrapper  # type: ignore[return-value]

    return decorator


staff_required = _requires("staff", lambda user: user.is_staff)
admin_required = _requires("admin", lambda user: user.is_admin)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
