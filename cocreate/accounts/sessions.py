"""Server-side log-in sessions (OWASP ASVS V3).

The browser's cookie carries only a random token; the `user_sessions` row, found by the token's
hash, decides whether it still logs anyone in. Ending a row (log-out, "end this session", a
password change) therefore ends that log-in everywhere its cookie may have been copied.

Every function takes `now`, so the timeouts are tested at their exact boundaries.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.orm import Session, contains_eager

from cocreate.accounts.models import User, UserSession
from cocreate.config import Config

#: last_seen_at is written at most this often: an idle timeout of hours or days needs no
#: write on every request.
TOUCH_EVERY = timedelta(minutes=5)
USER_AGENT_LENGTH = 255


@dataclass(frozen=True)
class Lifetimes:
    #: Idle timeout of a "keep me logged in" session, and of a browser-session one.
    idle_kept: timedelta
    idle_browser: timedelta
    #: From log-in, whatever the activity.
    absolute: timedelta

    @classmethod
    def from_config(cls, config: Config) -> Lifetimes:
        return cls(
            idle_kept=timedelta(days=config.SESSION_IDLE_DAYS),
            idle_browser=timedelta(hours=config.SESSION_IDLE_HOURS),
            absolute=timedelta(days=config.SESSION_MAX_DAYS),
        )


def hash_token(token: str) -> str:
    """How a secret token (session, password reset) is stored: only its SHA-256, so the table
    alone opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def _alive(now: datetime, lifetimes: Lifetimes) -> ColumnElement[bool]:
    """A session is alive strictly before each of its ends: at the boundary it is over."""
    return and_(
        UserSession.revoked_at.is_(None),
        UserSession.expires_at > now,
        or_(
            and_(UserSession.kept, UserSession.last_seen_at > now - lifetimes.idle_kept),
            and_(~UserSession.kept, UserSession.last_seen_at > now - lifetimes.idle_browser),
        ),
    )


def start(
    session: Session,
    user: User,
    *,
    kept: bool,
    user_agent: str,
    now: datetime,
    lifetimes: Lifetimes,
) -> tuple[UserSession, str]:
    """A new session with a new token (never reuse one: session fixation). Returns the row and
    the raw token, which only the cookie keeps."""
    # Housekeeping, bounded to this member: their ended sessions are no longer shown or used.
    session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, ~_alive(now, lifetimes))
    )
    token = secrets.token_urlsafe(32)
    row = UserSession(
        user_id=user.id,
        token_hash=hash_token(token),
        kept=kept,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetimes.absolute,
        user_agent=user_agent[:USER_AGENT_LENGTH],
    )
    session.add(row)
    session.flush()
    return row, token


def find(
    session: Session, token: str, *, now: datetime, lifetimes: Lifetimes, touch: bool = True
) -> UserSession | None:
    """The live session this token opens, with its user loaded; None if ended or unknown.

    With `touch`, its `last_seen_at` moves to `now` when due (in `session`); without, the
    caller records it (see `touch_apart`)."""
    if not token:
        return None
    row = session.scalar(
        select(UserSession)
        .join(UserSession.user)
        .options(contains_eager(UserSession.user))
        .where(UserSession.token_hash == hash_token(token), _alive(now, lifetimes))
    )
    if row is None:
        return None
    if touch and due_for_touch(row, now):
        row.last_seen_at = now
    return row


def due_for_touch(row: UserSession, now: datetime) -> bool:
    return now - row.last_seen_at >= TOUCH_EVERY


def touch_apart(writer: Session, row_id: int, now: datetime) -> None:
    """Record activity in `writer`, a session of its own that the caller commits at once."""
    writer.execute(update(UserSession).where(UserSession.id == row_id).values(last_seen_at=now))


def active(
    session: Session, user: User, *, now: datetime, lifetimes: Lifetimes
) -> list[UserSession]:
    """The member's live sessions, most recently used first."""
    return list(
        session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id, _alive(now, lifetimes))
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def end(session: Session, row: UserSession, *, now: datetime) -> None:
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()


def end_token(session: Session, token: str, *, now: datetime) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.token_hash == hash_token(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def end_own(
    session: Session, user: User, session_id: int, *, now: datetime, lifetimes: Lifetimes
) -> UserSession | None:
    """End one of `user`'s live sessions. None if there is no such session of theirs: another
    member's session is indistinguishable from one that does not exist."""
    row = session.scalar(
        select(UserSession).where(
            UserSession.id == session_id,
            UserSession.user_id == user.id,
            _alive(now, lifetimes),
        )
    )
    if row is not None:
        end(session, row, now=now)
    return row


def end_all(
    session: Session, user: User, *, now: datetime, keep: UserSession | None = None
) -> None:
    """End every session of `user`, except `keep` (the device asking)."""
    query = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    session.execute(query.values(revoked_at=now))


_BROWSERS = (
    ("Edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/")),
    ("Safari", re.compile(r"Safari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux")),
)


def _first(patterns: tuple[tuple[str, re.Pattern[str]], ...], user_agent: str) -> str | None:
    return next((name for name, pattern in patterns if pattern.search(user_agent)), None)


def describe_device(user_agent: str) -> str:
    """A coarse, translated summary such as "Firefox on Linux", for the member to recognise."""
    browser = _first(_BROWSERS, user_agent)
    system = _first(_SYSTEMS, user_agent)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    if browser or system:
        return browser or system or ""
    return _("Unknown device")
