"""Accounts: members, their role, their log-in sessions, and single-use password reset tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocreate.core.db import Base, now_utc
from cocreate.core.enums import enum_column


class Role(StrEnum):
    #: Votes, comments, buys, submits designs.
    MEMBER = "member"
    #: Screens, moderates, approves production runs, refunds.
    STAFF = "staff"
    #: Staff who also manage staff accounts.
    ADMIN = "admin"


class User(UserMixin, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased (see services.normalise_email), so uniqueness is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), default=Role.MEMBER)
    email_verified_at: Mapped[datetime | None]
    bio: Mapped[str] = mapped_column(Text, default="")
    #: Storage key of the normalised avatar image, if any.
    avatar_key: Mapped[str | None] = mapped_column(String(255), index=True)
    #: A locale code from LOCALES; None means "follow the browser".
    locale: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str | None] = mapped_column(String(64))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    last_login_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to log in inactive users
        return self.is_active_account

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.STAFF, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def get_id(self) -> str:
        # Only names the member: what proves the log-in is the session token (see auth.py).
        return str(self.id)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserSession(Base):
    """One log-in on one device. The browser holds the token; only its hash is stored here, so
    ending a row ends that log-in wherever its cookie was copied to."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the 32-byte token in the cookie: a database leak gives no usable session.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: "Keep me logged in": a cookie that outlives the browser, and the longer idle timeout.
    kept: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    #: Updated at most every few minutes (sessions.TOUCH_EVERY), not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(default=now_utc)
    #: The absolute end, however active the session is.
    expires_at: Mapped[datetime]
    #: Truncated, only to describe the device to its owner. No IP address is kept.
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="raise")


class PasswordResetToken(Base):
    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the token: a database leak does not leak usable links.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
