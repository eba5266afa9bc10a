"""The creator's royalty pages: the dashboard and their own statements (page, CSV, PDF)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from cocreate.accounts.auth import member_required
from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.royalties import chart, dashboard, statement_page

bp = Blueprint("royalties", __name__, template_folder="templates")


@bp.get("/royalties")
@member_required
def index() -> ResponseReturnValue:
    now = clock().now()
    board = dashboard.dashboard(db.session(), current_user.id, settings().CURRENCY, now=now)
    return render_template(
        "royalties/dashboard.html",
        board=board,
        chart=chart.monthly_chart(board.months),
        month_long=chart.month_long,
        return_days=settings().ROYALTY_RETURN_DAYS,
    )


def _mine(period: str, fmt: str) -> ResponseReturnValue:
    # Only the reader's own statement: there is no creator id in these URLs to tamper with.
    report = statement_page.find(current_user.id, period)
    return statement_page.respond(report, current_user.display_name, fmt)


@bp.get("/royalties/statements/<period>")
@member_required
def statement(period: str) -> ResponseReturnValue:
    return _mine(period, "")


@bp.get("/royalties/statements/<period>.csv")
@member_required
def statement_csv(period: str) -> ResponseReturnValue:
    return _mine(period, "csv")


@bp.get("/royalties/statements/<period>.pdf")
@member_required
def statement_pdf(period: str) -> ResponseReturnValue:
    return _mine(period, "pdf")
