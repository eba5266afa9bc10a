"""Members' reprint requests: the box on a retired or sold-out design's page (its "aside"
section), asking for a product and size, and withdrawing a request."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from cocreate.accounts.auth import member_required
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.designs import queries as design_queries
from cocreate.designs.models import Design, DesignState
from cocreate.production import reprints
from cocreate.production.reprint_models import ReprintRequest
from cocreate.voting.panel import size_label

bp = Blueprint("reprints", __name__, template_folder="templates")
ANCHOR = "reprint"


def render_section(design: Design) -> str:
    """The reprint box, on a retired design or one on sale with a size sold out: the sizes
    one can ask for, and the member's own open requests with a way to withdraw each."""
    if design.state not in reprints.REQUESTABLE_STATES:
        return ""
    session = db.session()
    options = reprints.options(session, design)
    mine = (
        reprints.open_requests(session, design.id, current_user.id)
        if current_user.is_authenticated
        else []
    )
    asked = {(row.product, row.size) for row in mine}
    choices = [option for option in options if option not in asked]
    if not choices and not mine:
        return ""
    return render_template(
        "production/_reprint_section.html",
        design=design,
        choices=choices,
        mine=mine,
        retired=design.state is DesignState.RETIRED,
        size_label=size_label,
    )


def _design(design_id: int) -> Design:
    design = design_queries.get_design(db.session(), design_id)
    if design is None or not design.is_public:
        abort(404)  # not 403: do not reveal that a private design exists
    return design


def _design_page(design_id: int, status: int, message: str) -> Response:
    """The design page again with `message`, answering `status`. Reached through the app's
    view table by endpoint name, as url_for does: production does not import designs' views."""
    db.rollback()  # the page shows what is stored, not what the refused attempt flushed
    flash(message, "error")
    response = make_response(current_app.view_functions["designs.detail"](design_id=design_id))
    response.status_code = status
    return response


def _back(design_id: int) -> ResponseReturnValue:
    return redirect(url_for("designs.detail", design_id=design_id, _anchor=ANCHOR))


def _option(raw: str) -> reprints.Option:
    product, _sep, size = raw.partition(":")
    return (product, size)


@bp.post("/designs/<id:design_id>/reprint-requests")
@member_required
def ask(design_id: int) -> ResponseReturnValue:
    design = _design(design_id)
    option = _option(request.form.get("option", ""))
    try:
        reprints.request(db.session(), design, current_user, option, now=clock().now())
    except reprints.ReprintRefused as refusal:
        return _design_page(design.id, refusal.status, str(refusal))
    flash(_("Thank you: we will tell you when it is on sale again in this size."), "success")
    return _back(design.id)


@bp.post("/reprint-requests/<id:request_id>/withdraw")
@member_required
def withdraw(request_id: int) -> ResponseReturnValue:
    row = db.session().get(ReprintRequest, request_id)
    if row is None or row.requester_id != current_user.id:
        abort(404)  # someone else's request: as if it did not exist
    design_id = row.design_id
    if reprints.withdraw(db.session(), row.id, current_user):
        flash(_("Your reprint request is withdrawn."), "success")
    else:
        flash(_("This request was already fulfilled: the design is on sale in that size."), "info")
    return _back(design_id)
