"""Settings: defaults in code, overridden by environment variables, checked by `validate()`.

Every setting is listed in the README's configuration table. Each production part (PostgreSQL,
Redis, SMTP, Stripe, S3) switches on when its variable is set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEV_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - refused in production by validate()
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A setting is missing or unsafe; raised at start so a bad deploy fails fast."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"not a boolean: {value!r}")


def _list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass
class Config:
    #: "development", "production" or "testing".
    ENV: str = "development"
    SECRET_KEY: str = DEV_SECRET_KEY
    #: Empty means the SQLite file in instance/.
    DATABASE_URL: str = ""
    #: Empty means in-memory rate limits (one process only).
    REDIS_URL: str = ""
    #: The site's public address: email links are built from it, never from the request's Host
    #: header (which a client can forge to get reset links pointing at their own site).
    PUBLIC_URL: str = "http://127.0.0.1:5000"
    UPLOAD_DIR: str = str(PROJECT_ROOT / "uploads")
    #: An S3-compatible bucket for uploads instead of UPLOAD_DIR (credentials: the AWS_* variables).
    S3_BUCKET: str = ""
    S3_ENDPOINT_URL: str = ""
    S3_REGION: str = ""
    #: `flask storage gc` keeps unreferenced files younger than this: uploads write their files
    #: before their transaction commits, so a young unreferenced file may be about to be used.
    STORAGE_GC_GRACE_HOURS: int = 24
    MAX_CONTENT_LENGTH: int = 25 * 1024 * 1024
    MAIL_FROM: str = "cocreate <no-reply@cocreate.localhost>"
    SMTP_HOST: str = ""
    SMTP_PORT: int = 587
    SMTP_USERNAME: str = ""
    SMTP_PASSWORD: str = ""
    SMTP_STARTTLS: bool = True
    #: "demo" moves no money; "stripe" needs STRIPE_SECRET_KEY.
    PAYMENT_GATEWAY: str = "demo"
    STRIPE_SECRET_KEY: str = ""
    STRIPE_WEBHOOK_SECRET: str = ""
    CURRENCY: str = "EUR"
    LOCALES: tuple[str, ...] = ("en", "fr")
    DEFAULT_LOCALE: str = "en"
    DEFAULT_TIMEZONE: str = "Europe/Paris"
    #: Submitted designs wait for staff screening before voting opens.
    SCREENING: bool = True
    #: Length of a design's voting window.
    VOTING_DAYS: int = 7
    #: Artwork limits: pixel count (decompression bombs), print size per product, aspect ratio.
    ARTWORK_MAX_PIXELS: int = 60_000_000
    MIN_LONG_SIDE_TEE: int = 2400
    MIN_LONG_SIDE_POSTER: int = 3000
    ARTWORK_MAX_ASPECT: int = 4
    #: Hours a password-reset link stays valid; email verification links last longer.
    PASSWORD_RESET_HOURS: int = 2
    EMAIL_VERIFY_DAYS: int = 7
    RATELIMIT_LOGIN: str = "10 per minute"
    RATELIMIT_SIGNUP: str = "5 per minute;30 per hour"
    RATELIMIT_RESET: str = "5 per minute;20 per hour"
    #: Number of proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_COUNT: int = 0
    LOG_LEVEL: str = "INFO"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.ENV == "production"

    @property
    def testing(self) -> bool:
        return self.ENV == "testing"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra" or f.name not in environ:
                continue
            raw = environ[f.name]
            kind = type(getattr(cls, f.name)) if f.name != "extra" else dict
            if kind is bool:
                values[f.name] = _bool(raw)
            elif kind is int:
                try:
                    values[f.name] = int(raw)
                except ValueError as exc:
                    raise ConfigError(f"{f.name} must be a whole number, got {raw!r}") from exc
            elif kind is tuple:
                values[f.name] = _list(raw)
            else:
                values[f.name] = raw
        values.update(overrides)
        return cls(**values)

    def database_url(self, instance_path: str) -> str:
        if self.DATABASE_URL:
            url = self.DATABASE_URL
            # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants the psycopg 3 dialect.
            for prefix in ("postgres://", "postgresql://"):
                if url.startswith(prefix):
                    return "postgresql+psycopg://" + url[len(prefix) :]
            return url
        return f"sqlite:///{Path(instance_path) / 'cocreate.sqlite3'}"

    def validate(self) -> None:
        problems: list[str] = []
        if self.ENV not in {"development", "production", "testing"}:
            problems.append(f"ENV must be development, production or testing, not {self.ENV!r}")
        if self.PAYMENT_GATEWAY not in {"demo", "stripe"}:
            problems.append("PAYMENT_GATEWAY must be 'demo' or 'stripe'")
        if self.PAYMENT_GATEWAY == "stripe" and not self.STRIPE_SECRET_KEY:
            problems.append("PAYMENT_GATEWAY=stripe needs STRIPE_SECRET_KEY")
        if self.DEFAULT_LOCALE not in self.LOCALES:
            problems.append("DEFAULT_LOCALE must be one of LOCALES")
        if len(self.CURRENCY) != 3 or not self.CURRENCY.isupper():
            problems.append("CURRENCY must be an ISO 4217 code such as EUR")
        if self.production:
            if self.SECRET_KEY == DEV_SECRET_KEY or len(self.SECRET_KEY) < 32:
                problems.append("production needs a random SECRET_KEY of 32+ characters")
            if self.PAYMENT_GATEWAY == "demo":
                problems.append("production refuses the demo payment gateway")
            if not self.DATABASE_URL:
                problems.append("production needs DATABASE_URL")
            if not self.REDIS_URL:
                problems.append("production needs REDIS_URL (rate limits shared by all workers)")
            if not self.SMTP_HOST:
                problems.append("production needs SMTP_HOST (emails would only be logged)")
            if not self.PUBLIC_URL.startswith("https://"):
                problems.append("production needs PUBLIC_URL, the site's https:// address")
        if problems:
            raise ConfigError("; ".join(problems))

    def flask_settings(self) -> dict[str, Any]:
        """The subset Flask and its extensions read from `app.config`."""
        settings = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        settings.update(
            TESTING=self.testing,
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            SESSION_COOKIE_SECURE=self.production,
            REMEMBER_COOKIE_NAME="remember_token",
            REMEMBER_COOKIE_HTTPONLY=True,
            REMEMBER_COOKIE_SAMESITE="Lax",
            REMEMBER_COOKIE_SECURE=self.production,
            PREFERRED_URL_SCHEME="https" if self.production else "http",
            BABEL_DEFAULT_LOCALE=self.DEFAULT_LOCALE,
            BABEL_DEFAULT_TIMEZONE="UTC",
            BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
            RATELIMIT_STORAGE_URI=self.REDIS_URL or "memory://",
            RATELIMIT_HEADERS_ENABLED=True,
            WTF_CSRF_TIME_LIMIT=None,
            # Requests for any other host are refused (400) in production.
            TRUSTED_HOSTS=[urlsplit(self.PUBLIC_URL).hostname] if self.production else None,
        )
        settings.update(self.extra)
        return settings
