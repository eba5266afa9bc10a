"""Rate limits: in memory for one process, Redis (REDIS_URL) when app servers are scaled out."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user

from cocreate.config import settings

limiter = Limiter(key_func=get_remote_address, strategy="moving-window")


def login_limit() -> str:
    return settings().RATELIMIT_LOGIN


def signup_limit() -> str:
    return settings().RATELIMIT_SIGNUP


def reset_limit() -> str:
    return settings().RATELIMIT_RESET


def upload_limit() -> str:
    return settings().RATELIMIT_UPLOAD


def account_key() -> str:
    """Per member account, not per address: one member cannot upload more by switching
    networks, and members behind one address (an office, a school) do not share a budget."""
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return get_remote_address()
