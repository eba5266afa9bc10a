"""Site-wide plumbing pages: language switcher, health check, development outbox."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text

from cocreate.config import settings
from cocreate.core import db, mail
from cocreate.core.i18n import LOCALE_COOKIE
from cocreate.core.outbox import OutboxStatus
from cocreate.core.security import safe_next

bp = Blueprint("core", __name__, template_folder="templates")
ONE_YEAR = 365 * 24 * 3600


@bp.post("/language")
def set_language() -> ResponseReturnValue:
    locale = request.form.get("locale", "")
    if locale not in settings().LOCALES:
        abort(400)
    response = redirect(safe_next(request.form.get("next"), url_for("site.home")))
    response.set_cookie(
        LOCALE_COOKIE,
        locale,
        max_age=ONE_YEAR,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    if current_user.is_authenticated:
        current_user.locale = locale
    return response


@bp.get("/healthz")
def health() -> ResponseReturnValue:
    db.session().execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/dev/outbox")
def outbox() -> ResponseReturnValue:
    # Development only: in production emails go through SMTP and this page does not exist.
    if settings().ENV == "production" or settings().SMTP_HOST:
        abort(404)
    # Read from the outbox table, so every worker process shows the same emails.
    unsent = {OutboxStatus.PENDING: _("not sent yet"), OutboxStatus.FAILED: _("sending failed")}
    return render_template("core/outbox.html", mails=mail.latest(db.session()), unsent=unsent)
