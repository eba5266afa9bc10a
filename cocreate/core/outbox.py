"""The durable outbox: messages written in the sender's transaction, delivered by a job.

A request that sends an email adds an `OutboxMessage` row in its own transaction, so the message
exists exactly when the request's changes do. Delivery claims due pending rows one at a time
(a short transaction that leases the row), sends it outside any transaction, and marks it sent
in another: once that commits, the row is never sent again. A crash between the send and the
mark resends that one message when the lease ends (at least once, never lost). A failed send is
retried with exponential backoff, then marked failed.

Why not claim, send and mark in one transaction: on SQLite that transaction holds the database
write lock, so a slow SMTP server would stall every writing request behind it.

Rows are generic: `kind` names the sender ("email" today; notifications later) and `payload`
holds what it needs, already rendered in the recipient's language.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from cocreate.core.db import Base, now_utc
from cocreate.core.enums import enum_column

logger = logging.getLogger(__name__)

#: First retry one minute after a failure, then 2, 4, 8 … minutes, never more than an hour apart.
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=1)
#: Errors are kept for the operator, not as a log: a long traceback text is cut.
ERROR_LENGTH = 1000
#: How long a claimed message is left to the delivery that claimed it: longer than any send
#: (SMTP times out after 15 s), short enough that a crash mid-send delays it little.
LEASE = timedelta(minutes=5)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        # What every delivery run asks: pending rows that are due, oldest first.
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    sent_at: Mapped[datetime | None]


#: Sends one message or raises; it must not touch the database session.
Sender = Callable[[OutboxMessage], None]


def add(session: Session, kind: str, payload: dict[str, Any], *, now: datetime) -> OutboxMessage:
    """Queue a message in the caller's transaction (flushed, so its id is known)."""
    message = OutboxMessage(
        kind=kind,
        payload=payload,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 1 min, 2, 4 … capped at an hour."""
    delay: timedelta = FIRST_RETRY * 2 ** (attempts - 1)
    return min(delay, MAX_RETRY)


def _due(now: datetime, ids: Collection[int] | None) -> Any:
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    )
    if ids is not None:
        stmt = stmt.where(OutboxMessage.id.in_(list(ids)))
    return stmt


def has_due(session: Session, *, now: datetime, ids: Collection[int] | None = None) -> bool:
    """A lock-free look, so an idle sweep does not take SQLite's write lock."""
    return session.execute(_due(now, ids).limit(1)).first() is not None


def claim_next(
    session: Session, *, now: datetime, ids: Collection[int] | None = None
) -> OutboxMessage | None:
    """Take the next due pending row, or None when nothing is due.

    The claim counts as an attempt and leases the row for `LEASE` (its `next_attempt_at` moves
    past `now`), so once this transaction commits no other delivery takes it while it is being
    sent, and a delivery that dies mid-send leaves it to be retried when the lease ends.
    PostgreSQL skips rows another delivery holds. SQLite has no row locks: the transaction takes
    the database write lock before reading, so a second delivery waits and then sees the lease.
    This must be the transaction's first statement on SQLite.
    """
    stmt = _due(now, ids).limit(1)
    if session.get_bind().dialect.name == "sqlite":
        # A write that changes nothing still takes the write lock, before any snapshot is read.
        session.execute(update(OutboxMessage).where(OutboxMessage.id == -1).values(attempts=0))
    else:
        stmt = stmt.with_for_update(skip_locked=True)
    message = session.execute(stmt).scalars().first()
    if message is not None:
        message.attempts += 1
        message.next_attempt_at = now + LEASE
        session.flush()
    return message


def try_send(message: OutboxMessage, send: Sender) -> str | None:
    """Send a claimed message; the error text when it failed, None when it went."""
    try:
        send(message)
    except Exception as exc:  # any sender failure is retried; the row records why
        return f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
    return None


def record(
    session: Session,
    message: OutboxMessage,
    error: str | None,
    *,
    now: datetime,
    max_attempts: int,
) -> None:
    """Record how a claimed message's attempt went (flushed, committed by the caller)."""
    if error is None:
        message.status = OutboxStatus.SENT
        message.sent_at = now
        message.last_error = None
    else:
        message.last_error = error
        if message.attempts >= max_attempts:
            message.status = OutboxStatus.FAILED
            logger.error(
                "outbox message %s (%s) failed after %s attempts: %s",
                message.id,
                message.kind,
                message.attempts,
                error,
            )
        else:
            message.next_attempt_at = now + retry_delay(message.attempts)
            logger.warning(
                "outbox message %s (%s) attempt %s failed, retrying at %s: %s",
                message.id,
                message.kind,
                message.attempts,
                message.next_attempt_at.isoformat(),
                error,
            )
    session.flush()


def deliver_next(
    session: Session,
    send: Sender,
    *,
    now: datetime,
    max_attempts: int,
    ids: Collection[int] | None = None,
) -> OutboxMessage | None:
    """Claim, send and record one due message in this transaction; None when nothing is due.

    The jobs split this into three steps instead (claim and commit, send, record and commit),
    so no transaction stays open during a slow SMTP call.
    """
    message = claim_next(session, now=now, ids=ids)
    if message is not None:
        error = try_send(message, send)
        record(session, message, error, now=now, max_attempts=max_attempts)
    return message


def deliver_due(
    session: Session,
    send: Sender,
    *,
    now: datetime,
    max_attempts: int,
    ids: Collection[int] | None = None,
) -> list[OutboxMessage]:
    """Every due message in one transaction (the jobs commit after each one instead)."""
    done: list[OutboxMessage] = []
    while message := deliver_next(session, send, now=now, max_attempts=max_attempts, ids=ids):
        done.append(message)
    return done
