"""The durable outbox: rows written in the request's transaction, delivered after it commits,
retried with backoff, never sent twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.core import db, jobs, mail, outbox
from cocreate.core.cli import alembic_config
from cocreate.core.outbox import OutboxMessage, OutboxStatus
from tests.accounts.factories import UserFactory
from tests.core.outbox_helpers import RecordingTransport, file_app, recording

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PAYLOAD = {"to": "ana@example.test", "subject": "Hello", "body": "Hi Ana\n", "locale": "en"}


def rows(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
def handed(app: Flask) -> list[list[int]]:
    """Replace the after-commit hand-off by a recorder: rows stay pending until delivered."""
    calls: list[list[int]] = []
    jobs.state(app).dispatch = lambda _app, ids: calls.append(ids)
    return calls


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("outbox") / "migrated.sqlite3"
    command.upgrade(alembic_config(f"sqlite:///{path}"), "head")
    return path


# Written in the request's transaction -------------------------------------------------------


def test_reset_request_writes_one_pending_row_and_sends_nothing_itself(
    client: FlaskClient, app: Flask, db_session: Session, handed: list[list[int]]
) -> None:
    transport = recording(app)
    UserFactory(email="ana@example.test", locale="fr")
    response = client.post("/password/forgot", data={"email": "ana@example.test"})
    assert response.status_code == 302
    [row] = rows(db_session)
    assert row.kind == "email" and row.status is OutboxStatus.PENDING and row.attempts == 0
    assert row.payload["to"] == "ana@example.test"
    assert row.payload["locale"] == "fr"
    assert row.payload["subject"] == "Choisissez un nouveau mot de passe cocreate"
    assert "/password/reset/" in row.payload["body"]
    # The request only handed the row over after its commit: no SMTP call inside it.
    assert handed == [[row.id]]
    assert transport.sent == []


def test_unknown_email_writes_no_row(
    client: FlaskClient, app: Flask, db_session: Session, handed: list[list[int]]
) -> None:
    response = client.post("/password/forgot", data={"email": "ghost@example.test"})
    assert response.status_code == 302
    assert rows(db_session) == []
    assert handed == []


def _sending_route(app: Flask, status: int) -> None:
    def send_then_answer() -> tuple[str, int]:
        mail.send_mail(
            "verify_email", to="ana@example.test", locale="en", user=None, link="http://x/y"
        )
        if status >= 500:
            raise RuntimeError("the view failed after sending")
        return "answered", status

    app.add_url_rule("/test/send", "send_then_answer", send_then_answer, methods=["POST"])


@pytest.mark.parametrize("status", [400, 422])
def test_failed_request_leaves_no_row_and_sends_nothing(
    client: FlaskClient, app: Flask, db_session: Session, status: int
) -> None:
    transport = recording(app)
    _sending_route(app, status)
    assert client.post("/test/send").status_code == status
    assert rows(db_session) == []
    assert transport.sent == []


def test_request_that_raises_leaves_no_row(
    client: FlaskClient, app: Flask, db_session: Session
) -> None:
    transport = recording(app)
    _sending_route(app, 500)
    with pytest.raises(RuntimeError, match="the view failed after sending"):
        client.post("/test/send")
    assert rows(db_session) == []
    assert transport.sent == []


def test_testing_mode_delivers_right_after_commit(
    client: FlaskClient, app: Flask, db_session: Session
) -> None:
    transport = recording(app)
    UserFactory(email="ana@example.test")
    client.post("/password/forgot", data={"email": "ana@example.test"})
    assert transport.subjects == ["Choose a new cocreate password"]
    [row] = rows(db_session)
    assert row.status is OutboxStatus.SENT and row.attempts == 1 and row.sent_at is not None
    assert [m.subject for m in mail.outbox(app)] == ["Choose a new cocreate password"]


# Delivery, retries, backoff -----------------------------------------------------------------


def test_delivery_sends_once_and_never_again(db_session: Session) -> None:
    transport = RecordingTransport()
    row = outbox.add(db_session, "email", PAYLOAD, now=T0)

    def send(message: OutboxMessage) -> None:
        transport.send(mail.Mail.from_row(message))

    done = outbox.deliver_due(db_session, send, now=T0, max_attempts=3)
    assert done == [row]
    assert row.status is OutboxStatus.SENT
    assert row.sent_at == T0 and row.attempts == 1 and row.last_error is None
    assert outbox.deliver_due(db_session, send, now=T0 + timedelta(days=30), max_attempts=3) == []
    assert transport.subjects == ["Hello"]


def test_not_due_yet_is_left_alone(db_session: Session) -> None:
    outbox.add(db_session, "email", PAYLOAD, now=T0)
    sent: list[int] = []
    early = T0 - timedelta(seconds=1)
    assert (
        outbox.deliver_due(db_session, lambda m: sent.append(m.id), now=early, max_attempts=3) == []
    )
    assert sent == []


def _failing(message: OutboxMessage) -> None:
    raise ConnectionRefusedError("SMTP server down")


def test_failure_is_retried_with_backoff_then_marked_failed(db_session: Session) -> None:
    row = outbox.add(db_session, "email", PAYLOAD, now=T0)

    outbox.deliver_due(db_session, _failing, now=T0, max_attempts=3)
    assert row.status is OutboxStatus.PENDING and row.attempts == 1
    assert row.next_attempt_at == datetime(2026, 3, 1, 9, 1, tzinfo=UTC)
    assert row.last_error == "ConnectionRefusedError: SMTP server down"
    assert row.sent_at is None

    # One second before the retry is due: nothing happens.
    not_yet = datetime(2026, 3, 1, 9, 0, 59, tzinfo=UTC)
    assert outbox.deliver_due(db_session, _failing, now=not_yet, max_attempts=3) == []
    assert row.attempts == 1

    outbox.deliver_due(
        db_session, _failing, now=datetime(2026, 3, 1, 9, 1, tzinfo=UTC), max_attempts=3
    )
    assert row.status is OutboxStatus.PENDING and row.attempts == 2
    assert row.next_attempt_at == datetime(2026, 3, 1, 9, 3, tzinfo=UTC)

    outbox.deliver_due(
        db_session, _failing, now=datetime(2026, 3, 1, 9, 3, tzinfo=UTC), max_attempts=3
    )
    assert row.status is OutboxStatus.FAILED and row.attempts == 3
    # A failed row is not tried again.
    later = datetime(2026, 3, 2, tzinfo=UTC)
    assert outbox.deliver_due(db_session, _failing, now=later, max_attempts=3) == []
    assert row.attempts == 3


def test_a_retry_that_succeeds_is_sent(db_session: Session) -> None:
    row = outbox.add(db_session, "email", PAYLOAD, now=T0)
    outbox.deliver_due(db_session, _failing, now=T0, max_attempts=3)
    retry_at = datetime(2026, 3, 1, 9, 1, tzinfo=UTC)
    outbox.deliver_due(db_session, lambda m: None, now=retry_at, max_attempts=3)
    assert row.status is OutboxStatus.SENT and row.attempts == 2
    assert row.sent_at == retry_at and row.last_error is None


@pytest.mark.parametrize(
    ("attempts", "minutes"),
    [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 32), (7, 60), (8, 60), (20, 60)],
)
def test_backoff_doubles_up_to_an_hour(attempts: int, minutes: int) -> None:
    assert outbox.retry_delay(attempts) == timedelta(minutes=minutes)


def test_default_max_attempts_is_eight(app: Flask) -> None:
    assert app.config["OUTBOX_MAX_ATTEMPTS"] == 8


def test_unknown_kind_is_an_error_that_is_retried(app: Flask, db_session: Session) -> None:
    row = outbox.add(db_session, "carrier-pigeon", {}, now=T0)
    outbox.deliver_due(db_session, jobs.send(app), now=T0, max_attempts=3)
    assert row.status is OutboxStatus.PENDING and row.attempts == 1
    assert row.last_error == "LookupError: no sender for outbox kind 'carrier-pigeon'"


def test_jobs_deliver_command(app: Flask, db_session: Session) -> None:
    transport = recording(app)
    outbox.add(db_session, "email", PAYLOAD, now=T0)
    db_session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "deliver"])
    assert result.exit_code == 0, result.output
    assert result.output == "Outbox: 1 sent, 0 to retry later, 0 failed.\n"
    result = runner.invoke(args=["jobs", "deliver"])
    assert result.output == "Outbox: 0 sent, 0 to retry later, 0 failed.\n"
    assert transport.subjects == ["Hello"]
    assert [m.subject for m in mail.outbox(app)] == ["Hello"]


def test_jobs_worker_needs_redis(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 2
    assert "REDIS_URL is not set" in result.output


# The embedded background worker -------------------------------------------------------------


def test_background_thread_delivers_outside_the_request(migrated_db: Path, tmp_path: Path) -> None:
    server = file_app(migrated_db, tmp_path)
    transport = recording(server)
    jobs.state(server).dispatch = jobs.to_background
    client = server.test_client()
    response = client.post(
        "/signup",
        data={"email": "zed@example.test", "display_name": "Zed", "password": "a long passphrase"},
    )
    assert response.status_code == 302
    jobs.background(server).wait_idle()
    jobs.background(server).stop()
    [sent] = transport.sent
    assert sent.mail.subject == "Confirm your email address for cocreate"
    assert sent.in_request is False and sent.thread == "cocreate-outbox"
    assert [m.to for m in mail.outbox(server)] == ["zed@example.test"]


# The development outbox page ----------------------------------------------------------------


def test_outbox_page_is_shared_by_every_worker_process(migrated_db: Path, tmp_path: Path) -> None:
    first = file_app(migrated_db, tmp_path, "shared", extra={"WTF_CSRF_ENABLED": False})
    second = file_app(migrated_db, tmp_path, "shared")
    jobs.state(first).dispatch = lambda _app, ids: None  # nobody delivers: the row stays pending
    first.test_client().post(
        "/signup",
        data={"email": "zed@example.test", "display_name": "Zed", "password": "a long passphrase"},
    )
    page = second.test_client().get("/dev/outbox").get_data(as_text=True)
    assert "Confirm your email address for cocreate" in page
    assert "not sent yet" in page
    assert 'href="http://localhost/verify/' in page

    jobs.deliver(second)
    page = first.test_client().get("/dev/outbox").get_data(as_text=True)
    assert "Confirm your email address for cocreate" in page
    assert "not sent yet" not in page


def test_failed_email_is_marked_on_the_outbox_page(app: Flask, db_session: Session) -> None:
    row = outbox.add(db_session, "email", PAYLOAD, now=T0)
    outbox.deliver_due(db_session, _failing, now=T0, max_attempts=1)
    assert row.status is OutboxStatus.FAILED
    db_session.commit()
    page = app.test_client().get("/dev/outbox").get_data(as_text=True)
    assert "Hello" in page and "sending failed" in page


def test_outbox_page_is_absent_when_mail_really_goes_out(migrated_db: Path, tmp_path: Path) -> None:
    server = file_app(migrated_db, tmp_path, SMTP_HOST="smtp.example.test")
    assert server.test_client().get("/dev/outbox").status_code == 404


def test_outbox_helper_reads_in_a_given_session(db_session: Session) -> None:
    outbox.add(db_session, "email", PAYLOAD, now=T0)
    outbox.deliver_due(db_session, lambda m: None, now=T0, max_attempts=3)
    assert [m.to for m in mail.outbox(session=db_session)] == ["ana@example.test"]
    assert db.now_utc() > T0


def test_a_command_delivers_right_after_its_commit(migrated_db: Path, tmp_path: Path) -> None:
    # Embedded mode, outside a request: the command's process may exit at once, so it does not
    # leave the email to a thread.
    server = file_app(migrated_db, tmp_path, ENV="development")
    transport = recording(server)
    with server.app_context(), db.transaction():
        mail.send_mail("verify_email", to="zed@example.test", locale="en", user=None, link="x")
        assert transport.sent == []
    assert transport.subjects == ["Confirm your email address for cocreate"]
    assert jobs.state(server).background is None
