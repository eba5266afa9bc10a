"""Outgoing email, rendered in the recipient's language and sent only after the commit.

With SMTP_HOST set, messages go through SMTP. Otherwise they are logged and kept in an in-memory
outbox that the development-only page /dev/outbox shows, so a newcomer can click the links.
"""

from __future__ import annotations

import smtplib
import ssl
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from flask import Flask, current_app, render_template, url_for
from flask_babel import force_locale

from cocreate.core import db
from cocreate.core.inputs import single_line

OUTBOX_SIZE = 50


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    locale: str
    sent_at: datetime = field(default_factory=db.now_utc)


def render_mail(template: str, *, to: str, locale: str | None, **context: Any) -> Mail:
    """Render `email/<template>.txt`; its first line is `Subject: …`."""
    locale = locale or current_app.config["DEFAULT_LOCALE"]
    recipient = context.get("user")
    # Dates in an email are shown in the recipient's timezone, not the sender's.
    context.setdefault(
        "email_timezone",
        getattr(recipient, "timezone", None) or current_app.config["DEFAULT_TIMEZONE"],
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
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for(endpoint, **values)


def send_mail(template: str, *, to: str, locale: str | None, **context: Any) -> Mail:
    """Render now (inside the request, in the recipient's language), deliver after commit."""
    mail = render_mail(template, to=to, locale=locale, **context)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    db.after_commit(lambda: deliver(app, mail))
    return mail


def deliver(app: Flask, mail: Mail) -> None:
    config = app.config
    if not config["SMTP_HOST"]:
        # The body holds one-time links: it goes to the development outbox, never to the logs.
        app.logger.info("email to %s: %s (see /dev/outbox)", mail.to, mail.subject)
        app.extensions["cocreate.outbox"].appendleft(mail)
        return
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Content-Language"] = mail.locale
    message.set_content(mail.body)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=15) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        smtp.send_message(message)


def outbox(app: Flask | None = None) -> deque[Mail]:
    return (app or current_app).extensions["cocreate.outbox"]


def init_app(app: Flask) -> None:
    app.extensions["cocreate.outbox"] = deque(maxlen=OUTBOX_SIZE)
