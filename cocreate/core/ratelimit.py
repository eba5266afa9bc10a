"""Rate limits: in memory for one process, Redis (REDIS_URL) when app servers are scaled out."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from cocreate.config import settings

limiter = Limiter(key_func=get_remote_address, strategy="moving-window")


def login_limit() -> str:
    return settings().RATELIMIT_LOGIN


def signup_limit() -> str:
    return settings().RATELIMIT_SIGNUP


def reset_limit() -> str:
    return settings().RATELIMIT_RESET
