"""Staff screening and moderation of designs."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from cocreate.accounts.auth import staff_required
from cocreate.config import settings
from cocreate.core import db
from cocreate.core.inputs import clean_text
from cocreate.core.responses import CONFLICT, FAILED, failed_page
from cocreate.designs import lifecycle, queries, services
from cocreate.designs.models import Design
from cocreate.designs.views import refused_on_detail

bp = Blueprint("design_staff", __name__, template_folder="templates", url_prefix="/staff")


def _design(design_id: int) -> Design:
    design = queries.get_design(db.session(), design_id)
    if design is None:
        abort(404)
    return design


def _queue() -> dict[str, object]:
    return dict(
        designs=queries.screening_queue(db.session()),
        print_size=services.print_size,
        print_dpi=services.PRINT_DPI,
        product_labels=services.product_labels,
        voting_days=settings().VOTING_DAYS,
    )


@bp.get("/screening")
@staff_required
def screening() -> ResponseReturnValue:
    return render_template("designs/screening.html", **_queue())


def _refused(message: str, status: int) -> ResponseReturnValue:
    # The screening queue again, as stored (failed_page rolls back first), with the message.
    db.rollback()
    return failed_page("designs/screening.html", status=status, message=message, **_queue())


@bp.post("/designs/<id:design_id>/accept")
@staff_required
def accept(design_id: int) -> ResponseReturnValue:
    design = _design(design_id)
    try:
        lifecycle.accept_screening(db.session(), design, current_user)
    except lifecycle.InvalidTransition as error:
        # Only a design no longer submitted is refused: someone else moved it first.
        return _refused(str(error), CONFLICT)
    flash(_("“%(title)s” is open to votes.", title=design.title), "success")
    return redirect(url_for("design_staff.screening"))


def _reason() -> str:
    # The service checks the reason (present, not too long) and says what is wrong.
    return clean_text(request.form.get("reason", ""))


@bp.post("/designs/<id:design_id>/reject")
@staff_required
def reject(design_id: int) -> ResponseReturnValue:
    design = _design(design_id)
    try:
        lifecycle.reject_screening(db.session(), design, current_user, _reason())
    except lifecycle.InvalidTransition as error:
        # A missing or too long reason, or a design no longer submitted.
        return _refused(str(error), FAILED)
    flash(
        _("“%(title)s” is rejected; the designer has been told why.", title=design.title),
        "info",
    )
    return redirect(url_for("design_staff.screening"))


@bp.post("/designs/<id:design_id>/remove")
@staff_required
def remove(design_id: int) -> ResponseReturnValue:
    design = _design(design_id)
    try:
        lifecycle.remove(db.session(), design, current_user, _reason())
    except lifecycle.InvalidTransition as error:
        return refused_on_detail(design, str(error))
    flash(_("“%(title)s” is removed.", title=design.title), "info")
    return redirect(url_for("designs.detail", design_id=design.id))
