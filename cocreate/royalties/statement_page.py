"""A statement as the creator's and the staff's pages answer it: HTML, CSV or PDF."""

from __future__ import annotations

from flask import Response, abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import format_date

from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.royalties import exports, statements
from cocreate.royalties.statements import StatementReport

#: The formats a statement is served in, by URL suffix ("" is the page).
FORMATS = ("", "csv", "pdf")


def find(creator_id: int, period: str) -> StatementReport:
    """The statement, or 404 (a malformed period, a month after this one, nothing in it)."""
    report = statements.statement(
        db.session(), creator_id, period, settings().CURRENCY, now=clock().now()
    )
    if report is None:
        abort(404)
    return report


def respond(
    report: StatementReport, creator_name: str, fmt: str, *, staff_creator_id: int | None = None
) -> ResponseReturnValue:
    """The page, or the download (`fmt` "csv" or "pdf"); staff pages link orders to the desk
    and name downloads after the creator too."""
    if fmt == "csv":
        return _download(
            exports.statement_csv(report),
            "text/csv; charset=utf-8",
            exports.file_name(report, "csv", creator_id=staff_creator_id),
        )
    if fmt == "pdf":
        return _download(
            exports.statement_pdf(report, creator_name),
            "application/pdf",
            exports.file_name(report, "pdf", creator_id=staff_creator_id),
        )
    return render_template(
        "royalties/statement.html",
        report=report,
        creator_name=creator_name,
        staff_creator_id=staff_creator_id,
        title=exports.statement_title(report),
        summary=exports.summary(report),
        kind_label=exports.kind_label,
        variant_text=exports.variant_text,
        rate_text=exports.rate_text,
        movement_text=exports.movement_text,
        movement_amount=exports.movement_amount,
        format_date=format_date,
    )


def _download(data: bytes, content_type: str, name: str) -> Response:
    response = Response(data, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
