"""Site-wide plumbing pages: language switcher, health check, metrics, development outbox."""

from __future__ import annotations

import hmac

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from prometheus_client import CONTENT_TYPE_LATEST

from cocreate.config import settings
from cocreate.core import db, mail, metrics
from cocreate.core import health as health_checks
from cocreate.core.i18n import LOCALE_COOKIE
from cocreate.core.outbox import OutboxStatus
from cocreate.core.ratelimit import limiter
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
@limiter.exempt
def health() -> ResponseReturnValue:
    """200 when the database (and Redis, when used) answer; 503 naming what failed."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    checks, healthy = health_checks.report(app)
    response = jsonify(checks)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics")
@limiter.exempt
def metrics_page() -> ResponseReturnValue:
    """Prometheus metrics. With METRICS_TOKEN set, only for `Authorization: Bearer <token>`;
    in production, not served at all until a token is set."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    token = settings().METRICS_TOKEN
    if not token:
        if settings().production:
            abort(404)
    else:
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, f"Bearer {token}".encode()):
            abort(401)
    body = metrics.exposition(metrics.redis_client(app))
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


@bp.get("/dev/outbox")
def outbox() -> ResponseReturnValue:
    # Development only: in production emails go through SMTP and this page does not exist.
    if settings().ENV == "production" or settings().SMTP_HOST:
        abort(404)
    # Read from the outbox table, so every worker process shows the same emails.
    unsent = {OutboxStatus.PENDING: _("not sent yet"), OutboxStatus.FAILED: _("sending failed")}
    return render_template("core/outbox.html", mails=mail.latest(db.session()), unsent=unsent)
