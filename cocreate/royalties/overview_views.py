"""The staff's royalty pages: the overview (per creator, month, design; CSV of each) and any
creator's statement."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from cocreate.accounts.auth import staff_required
from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.royalties import ledger, overview, statement_page
from cocreate.royalties.chart import month_long

bp = Blueprint(
    "royalty_overview", __name__, template_folder="templates", url_prefix="/staff/royalties"
)


@bp.get("")
@staff_required
def index() -> ResponseReturnValue:
    session = db.session()
    currency = settings().CURRENCY
    page = overview.page_number(request.args.get("page"))
    designs_page = overview.page_number(request.args.get("designs_page"))
    return render_template(
        "royalties/overview.html",
        creators=overview.owed_by_creator(session, currency, page=page),
        months=overview.by_month(session, currency),
        designs=overview.by_design(session, currency, page=designs_page),
        current_period=ledger.period_of(clock().now()),
        month_long=month_long,
    )


@bp.get("/overview.csv")
@staff_required
def overview_csv() -> ResponseReturnValue:
    try:
        view = overview.View(request.args.get("view", overview.View.CREATORS))
    except ValueError:
        abort(404)
    data = overview.overview_csv(db.session(), view, settings().CURRENCY)
    response = Response(data, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="cocreate-royalties-{view.value}.csv"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _creators_statement(creator_id: int, period: str, fmt: str) -> ResponseReturnValue:
    creator = db.session().get(User, creator_id)
    if creator is None:
        abort(404)
    report = statement_page.find(creator.id, period)
    return statement_page.respond(report, creator.display_name, fmt, staff_creator_id=creator.id)


@bp.get("/creators/<id:creator_id>/statements/<period>")
@staff_required
def statement(creator_id: int, period: str) -> ResponseReturnValue:
    return _creators_statement(creator_id, period, "")


@bp.get("/creators/<id:creator_id>/statements/<period>.csv")
@staff_required
def statement_csv(creator_id: int, period: str) -> ResponseReturnValue:
    return _creators_statement(creator_id, period, "csv")


@bp.get("/creators/<id:creator_id>/statements/<period>.pdf")
@staff_required
def statement_pdf(creator_id: int, period: str) -> ResponseReturnValue:
    return _creators_statement(creator_id, period, "pdf")
