"""Background jobs: delivering the outbox after the commit, outside the request.

Where delivery runs depends on the settings:
- REDIS_URL set: the after-commit step enqueues an RQ job; `flask jobs worker` runs it.
- ENV=testing: right after the commit, synchronously, so tests are deterministic.
- otherwise (the embedded default): a daemon thread of the same process, one per process,
  started lazily; it also sweeps due rows when it starts and every minute (retries, and rows a
  crashed process left behind).
`flask jobs deliver` delivers every due row now: run it every minute from a scheduler when
using RQ, or whenever rows are stuck.
"""

from __future__ import annotations

import logging
import os
import queue as queues
import threading
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, current_app, has_request_context
from redis import Redis
from rq import Queue, SimpleWorker

from cocreate.config import settings
from cocreate.core import db
from cocreate.core import outbox as outbox_rows
from cocreate.core.clock import clock
from cocreate.core.outbox import OutboxMessage, OutboxStatus, Sender

SENT, PENDING, FAILED = OutboxStatus.SENT, OutboxStatus.PENDING, OutboxStatus.FAILED

QUEUE_NAME = "cocreate"
#: The embedded worker's sweep period, for retries and rows left by a crash.
SWEEP_SECONDS = 60
STOP = "stop"
logger = logging.getLogger(__name__)


@dataclass
class JobsState:
    #: How the after-commit step hands rows over (see `choose_dispatch`); tests may swap it.
    dispatch: Callable[[Flask, list[int]], None]
    senders: dict[str, Sender] = field(default_factory=dict)
    queue_name: str = QUEUE_NAME
    background: BackgroundDelivery | None = None
    #: One Redis client (and so one connection pool) per app, made on first use.
    redis: Redis | None = None


def state(app: Flask) -> JobsState:
    return app.extensions["cocreate.jobs"]


def register_sender(app: Flask, kind: str, sender: Sender) -> None:
    """Each kind of outbox row (email, notification …) names the function that sends it."""
    state(app).senders[kind] = sender


def send(app: Flask) -> Sender:
    senders = state(app).senders

    def dispatch(message: OutboxMessage) -> None:
        sender = senders.get(message.kind)
        if sender is None:
            raise LookupError(f"no sender for outbox kind {message.kind!r}")
        sender(message)

    return dispatch


# Delivery ------------------------------------------------------------------------------------


def deliver(
    app: Flask, ids: Collection[int] | None = None, *, now: datetime | None = None
) -> Counter[str]:
    """Deliver the due rows (only `ids` if given), one transaction per row.

    Each row is claimed (leased) in one short transaction, sent outside any transaction, and
    marked in another, so a crash loses no row, a committed "sent" is final, and no lock is held
    during the send. Returns how many rows ended sent, pending (retry) or failed.
    """
    outcome: Counter[str] = Counter()
    max_attempts = settings(app).OUTBOX_MAX_ATTEMPTS
    sender = send(app)
    with app.app_context():
        when = now or clock(app).now()
        with db.transaction() as session:
            if not outbox_rows.has_due(session, now=when, ids=ids):
                return outcome
        while True:
            # The time is read again at each step: with slow sends, a lease stamped with the
            # run's start could already be over when the row is claimed.
            with db.transaction() as session:
                message = outbox_rows.claim_next(session, now=now or clock(app).now(), ids=ids)
            if message is None:
                break
            # Sent outside any transaction: no lock is held while the SMTP server answers.
            error = outbox_rows.try_send(message, sender)
            with db.transaction() as session:
                row = session.get_one(OutboxMessage, message.id)
                done_at = now or clock(app).now()
                outbox_rows.record(session, row, error, now=done_at, max_attempts=max_attempts)
                outcome[row.status.value] += 1
    return outcome


def deliver_after_commit(ids: list[int]) -> None:
    """Hand the rows to delivery once the current transaction commits (never inside it)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    db.after_commit(lambda: dispatch(app, ids))


def dispatch(app: Flask, ids: list[int]) -> None:
    state(app).dispatch(app, ids)


def inline(app: Flask, ids: list[int]) -> None:
    """ENV=testing: deliver now, after the commit but before the response returns."""
    deliver(app, ids)


def to_background(app: Flask, ids: list[int]) -> None:
    """The embedded default: the process's delivery thread takes it from here."""
    if not has_request_context():
        # A command: nobody waits on it, and its process may exit before the thread runs.
        deliver(app, ids)
        return
    background(app).submit(ids)


def to_rq(app: Flask, ids: list[int]) -> None:
    """REDIS_URL set: an RQ worker (`flask jobs worker`) delivers it."""
    rq_queue(app).enqueue(delivery_job, ids)


def choose_dispatch(app: Flask) -> Callable[[Flask, list[int]], None]:
    if settings(app).REDIS_URL:
        return to_rq
    if settings(app).ENV == "testing":
        return inline
    return to_background


# The embedded worker -------------------------------------------------------------------------


class BackgroundDelivery:
    """One daemon thread per process that delivers the rows handed to it after each commit."""

    def __init__(self, app: Flask, sweep_seconds: float | None = SWEEP_SECONDS) -> None:
        self.app = app
        self.sweep_seconds = sweep_seconds
        self.inbox: queues.Queue[list[int] | str | None] = queues.Queue()
        self.thread: threading.Thread | None = None
        self.pid = 0
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            # After a fork (gunicorn workers), the parent's thread does not exist in the child.
            if self.thread is not None and self.pid == os.getpid() and self.thread.is_alive():
                return
            self.pid = os.getpid()
            self.inbox = queues.Queue()
            self.inbox.put(None)  # sweep first: rows a crashed process left behind
            self.thread = threading.Thread(target=self._run, name="cocreate-outbox", daemon=True)
            self.thread.start()

    def submit(self, ids: list[int]) -> None:
        self.start()
        self.inbox.put(ids)

    def wait_idle(self) -> None:
        """Block until everything handed over so far is processed (tests)."""
        self.inbox.join()

    def stop(self) -> None:
        """End the thread once it has processed what it was given (tests, shutdown)."""
        thread = self.thread
        if thread is not None and thread.is_alive():
            self.inbox.put(STOP)
            thread.join()

    def _run(self) -> None:
        while True:
            try:
                ids = self.inbox.get(timeout=self.sweep_seconds)
            except queues.Empty:
                self._deliver(None)  # a periodic sweep: retries that came due
                continue
            try:
                if ids == STOP:
                    return
                self._deliver(ids if isinstance(ids, list) else None)
            finally:
                self.inbox.task_done()

    def _deliver(self, ids: list[int] | None) -> None:
        try:
            deliver(self.app, ids)
        except Exception:  # the thread must outlive a database hiccup; rows stay pending
            logger.exception("outbox delivery failed")


def background(app: Flask) -> BackgroundDelivery:
    jobs = state(app)
    if jobs.background is None:
        jobs.background = BackgroundDelivery(app)
    return jobs.background


def _start_background() -> None:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    background(app).start()


# RQ ------------------------------------------------------------------------------------------


def redis_connection(app: Flask) -> Redis:
    jobs = state(app)
    if jobs.redis is None:
        jobs.redis = Redis.from_url(settings(app).REDIS_URL)
    return jobs.redis


def rq_queue(app: Flask, connection: Redis | None = None) -> Queue:
    return Queue(state(app).queue_name, connection=connection or redis_connection(app))


def delivery_job(ids: list[int] | None = None) -> dict[str, int]:
    """The RQ job: runs in the worker, inside the app context `flask jobs worker` pushed."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return dict(deliver(app, ids))


def make_worker(app: Flask, connection: Redis | None = None) -> SimpleWorker:
    """Jobs run in the worker's own process (no fork per job): they share its engine and app."""
    connection = connection or redis_connection(app)
    return SimpleWorker([rq_queue(app, connection)], connection=connection)


def outcome_text(outcome: Counter[str] | dict[str, Any]) -> str:
    sent, retry, failed = (outcome.get(s.value, 0) for s in (SENT, PENDING, FAILED))
    return f"{sent} sent, {retry} to retry later, {failed} failed"


def init_app(app: Flask) -> None:
    from cocreate.core.jobs_cli import jobs_cli

    jobs = JobsState(dispatch=choose_dispatch(app))
    app.extensions["cocreate.jobs"] = jobs
    app.cli.add_command(jobs_cli)
    if jobs.dispatch is to_background:
        # Started by the first request, so a restarted server sweeps what a crash left.
        app.before_request(_start_background)
