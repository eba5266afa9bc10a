"""Outgoing email, rendered in the recipient's language and delivered from the outbox.

`send_mail` renders the message inside the request and writes it as an outbox row in the
request's own transaction; a job delivers it after the commit (see core/jobs.py), never inside
the request. With SMTP_HOST set, messages go through SMTP. Otherwise delivery only logs the
subject, and the development-only page /dev/outbox shows the rows, so a newcomer can click links.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol

from flask import Flask, current_app, render_template, url_for
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.config import Config, settings
from cocreate.core import db, jobs
from cocreate.core import outbox as outbox_rows
from cocreate.core.clock import clock
from cocreate.core.inputs import single_line
from cocreate.core.outbox import OutboxMessage, OutboxStatus

KIND = "email"
#: How many messages the development outbox page lists.
OUTBOX_SIZE = 50
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    locale: str
    #: When it was queued; `sent_at` is set once delivered.
    created_at: datetime | None = None
    sent_at: datetime | None = None
    status: OutboxStatus = OutboxStatus.PENDING

    def payload(self) -> dict[str, Any]:
        return {"to": self.to, "subject": self.subject, "body": self.body, "locale": self.locale}

    @classmethod
    def from_row(cls, row: OutboxMessage) -> Mail:
        p = row.payload
        return cls(
            to=p["to"],
            subject=p["subject"],
            body=p["body"],
            locale=p["locale"],
            created_at=row.created_at,
            sent_at=row.sent_at,
            status=row.status,
        )


class Transport(Protocol):
    def send(self, mail: Mail) -> None: ...


class SmtpTransport:
    def __init__(self, config: Config) -> None:
        self.config = config

    def send(self, mail: Mail) -> None:
        config = self.config
        message = EmailMessage()
        message["From"] = config.MAIL_FROM
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Content-Language"] = mail.locale
        message.set_content(mail.body)
        with smtplib.SMTP(config.SMTP_HOST, config.SMTP_PORT, timeout=15) as smtp:
            if config.SMTP_STARTTLS:
                smtp.starttls(context=ssl.create_default_context())
            if config.SMTP_USERNAME:
                smtp.login(config.SMTP_USERNAME, config.SMTP_PASSWORD)
            smtp.send_message(message)


class DevTransport:
    """No SMTP server: the row itself is the development outbox (/dev/outbox)."""

    def send(self, mail: Mail) -> None:
        # The body holds one-time links: it stays in the outbox table, never in the logs.
        logger.info("email to %s: %s (see /dev/outbox)", mail.to, mail.subject)


def render_mail(template: str, *, to: str, locale: str | None, **context: Any) -> Mail:
    """Render `email/<template>.txt`; its first line is `Subject: …`."""
    locale = locale or settings().DEFAULT_LOCALE
    recipient = context.get("user")
    # Dates in an email are shown in the recipient's timezone, not the sender's.
    context.setdefault(
        "email_timezone",
        getattr(recipient, "timezone", None) or settings().DEFAULT_TIMEZONE,
    )
    with force_locale(locale):
        text = render_template(f"email/{template}.txt", **context)
    first, _, rest = text.lstrip().partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"email template {template} must start with a Subject: line")
    return Mail(
        to=to,
        subject=single_line(first.removeprefix("Subject:")),
        body=rest.strip() + "\n",
        locale=locale,
    )


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an email, on PUBLIC_URL whatever Host the request carried."""
    return settings().PUBLIC_URL.rstrip("/") + url_for(endpoint, **values)


def send_mail(template: str, *, to: str, locale: str | None, **context: Any) -> Mail:
    """Render now (in the recipient's language) into an outbox row of the current transaction;
    it is delivered after the commit, and never if the transaction rolls back."""
    mail = render_mail(template, to=to, locale=locale, **context)
    row = outbox_rows.add(db.session(), KIND, mail.payload(), now=clock().now())
    jobs.deliver_after_commit([row.id])
    return mail


def transport(app: Flask) -> Transport:
    return app.extensions["cocreate.mail"]


def set_transport(app: Flask, new: Transport) -> None:
    """Tests swap in a recording transport."""
    app.extensions["cocreate.mail"] = new


def outbox(app: Flask | None = None, *, session: Session | None = None) -> list[Mail]:
    """Delivered emails, newest first (tests and the development outbox page read this)."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.kind == KIND, OutboxMessage.status == OutboxStatus.SENT)
        .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())
        .limit(OUTBOX_SIZE)
    )
    if session is not None:
        return [Mail.from_row(row) for row in session.scalars(query)]
    with (app or current_app).app_context(), db.transaction() as own:
        return [Mail.from_row(row) for row in own.scalars(query)]


def latest(session: Session) -> list[Mail]:
    """Every email of the development outbox page, delivered or not, newest first."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.kind == KIND)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(OUTBOX_SIZE)
    )
    return [Mail.from_row(row) for row in session.scalars(query)]


def init_app(app: Flask) -> None:
    # Mail is the outbox's first user, so it brings the jobs machinery (and `flask jobs`) along.
    jobs.init_app(app)
    set_transport(app, SmtpTransport(settings(app)) if settings(app).SMTP_HOST else DevTransport())

    def send_email(message: OutboxMessage) -> None:
        transport(app).send(Mail.from_row(message))

    jobs.register_sender(app, KIND, send_email)
