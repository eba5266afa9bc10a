"""Staff pages of production: approving or declining a closed design, planning a reprint, the
runs list, a run's page with its moves, and its print pack download."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from cocreate.accounts.auth import staff_required
from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.core.inputs import clean_text
from cocreate.core.lifecycle import InvalidTransition
from cocreate.core.responses import CONFLICT, FAILED, failed_page, form_page
from cocreate.designs import queries as design_queries
from cocreate.designs.lifecycle import MAX_REASON
from cocreate.designs.lifecycle import state_label as design_state_label
from cocreate.designs.models import Design, DesignState
from cocreate.production import lifecycle, printpack, queries, services, stock
from cocreate.production.forms import PlanForm
from cocreate.production.models import ProductionRun, RunState

bp = Blueprint("production", __name__, template_folder="templates", url_prefix="/staff/production")


# --- Designs: approve, reprint, decline --------------------------------------------------------


def _design(design_id: int) -> Design:
    design = design_queries.get_design(db.session(), design_id)
    if design is None:
        abort(404)
    return design


def _refused_design(design_id: int, message: str, status: int = CONFLICT) -> ResponseReturnValue:
    """The design cannot be planned or declined (still voting, declined…): say so. Following
    a link (GET) leads back to the design's page with the message; a submitted form gets a
    409 page with a way back."""
    if request.method == "GET":
        flash(message, "error")
        return redirect(url_for("designs.detail", design_id=design_id))
    db.rollback()
    return failed_page(
        "production/refused.html", status=status, message=message, design=_design(design_id)
    )


def _plan_page(design: Design, form: PlanForm, message: str | None = None) -> ResponseReturnValue:
    return form_page(
        "production/plan.html",
        message=message,
        design=design,
        form=form,
        approving=design.state is DesignState.CLOSED,
        runs=queries.runs_of_design(db.session(), design.id),
        currency=settings().CURRENCY,
        max_quantity=settings().PRODUCTION_MAX_QUANTITY,
    )


def _not_plannable(design: Design) -> str:
    if design.state is DesignState.VOTING:
        return _("Voting on this design is still open: it can be approved once voting closes.")
    return _(
        "This design is %(state)s: only a design whose voting has closed can be approved, "
        "and only one already produced can be reprinted.",
        state=design_state_label(design.state),
    )


@bp.route("/designs/<id:design_id>/plan", methods=["GET", "POST"])
@staff_required
def plan(design_id: int) -> ResponseReturnValue:
    """Approve a closed design with a run, or plan a reprint of one already produced."""
    session, config = db.session(), settings()
    design = _design(design_id)
    if not services.can_plan(design):
        return _refused_design(design_id, _not_plannable(design))
    grid = services.grid_for(design)
    suggested = services.suggested_plan(session, design, config, grid)
    if request.method == "GET":
        return _plan_page(design, PlanForm.from_plan(grid, suggested))
    # What the page the form came from offered: approving, or a reprint. A page left open
    # while someone else approved the design must not plan a reprint by surprise.
    approving = request.form.get("approve") == "1"
    form = PlanForm.from_request(grid, request.form, config, suggested.intent)
    if not form.valid:
        return _plan_page(design, form, form.messages[0])
    try:
        run = services.create_run(
            session, design, current_user, form.plan(config.CURRENCY), config, approve=approving
        )
    except InvalidTransition as error:
        # The design moved on meanwhile (declined, removed, another approval).
        return _refused_design(design_id, str(error))
    except services.PlanError as error:
        db.rollback()
        return _plan_page(_design(design_id), form, " ".join(error.messages))
    if approving:
        message = _(
            "“%(title)s” is approved: run %(run)d is planned.", title=design.title, run=run.id
        )
    else:
        message = _(
            "Reprint run %(run)d of “%(title)s” is planned.", title=design.title, run=run.id
        )
    flash(message, "success")
    return redirect(url_for("production.run", run_id=run.id))


@bp.route("/designs/<id:design_id>/decline", methods=["GET", "POST"])
@staff_required
def decline(design_id: int) -> ResponseReturnValue:
    design = _design(design_id)
    if design.state is not DesignState.CLOSED:
        return _refused_design(
            design_id,
            _(
                "Only a design whose voting has closed can be declined; this one is %(state)s.",
                state=design_state_label(design.state),
            ),
        )
    reason = clean_text(request.form.get("reason", "")) if request.method == "POST" else ""
    if request.method == "POST":
        try:
            services.decline(db.session(), design, current_user, reason)
        except InvalidTransition as error:
            db.rollback()
            return failed_page(
                "production/decline.html",
                message=str(error),
                design=_design(design_id),
                reason=reason,
                max_reason=MAX_REASON,
            )
        flash(_("“%(title)s” is declined; the designer can read why.", title=design.title), "info")
        return redirect(url_for("designs.detail", design_id=design.id))
    return form_page("production/decline.html", design=design, reason=reason, max_reason=MAX_REASON)


# --- Runs --------------------------------------------------------------------------------------


@bp.get("/runs")
@staff_required
def runs() -> ResponseReturnValue:
    session = db.session()
    try:
        state = RunState(request.args["state"]) if request.args.get("state") else None
    except ValueError:
        state = None
    return render_template(
        "production/runs.html",
        runs=queries.list_runs(session, state),
        state=state,
        states=list(RunState),
        counts=queries.count_by_state(session),
    )


def _run(run_id: int) -> ProductionRun:
    run = queries.get_run(db.session(), run_id)
    if run is None:
        abort(404)
    return run


def _run_context(run: ProductionRun) -> dict[str, Any]:
    products: list[str] = []
    for line in run.lines:
        if line.product not in products:
            products.append(line.product)
    return dict(
        run=run,
        design=run.design,
        products=products,
        history=queries.history(db.session(), run.id),
        moves=lifecycle.TRANSITIONS[run.state],
        RunState=RunState,
        sku=stock.sku,
        colour_label=printpack.colour_label,
        max_reason=lifecycle.MAX_REASON,
    )


@bp.get("/runs/<id:run_id>")
@staff_required
def run(run_id: int) -> ResponseReturnValue:
    return render_template("production/run.html", **_run_context(_run(run_id)))


def _refused_run(run_id: int, message: str, to: RunState | None = None) -> ResponseReturnValue:
    """The run's page again, as stored (the refused attempt's flushes are rolled back first):
    409 when its state does not allow the move (someone moved it first, or a button of an old
    page), 422 when the form was at fault (a missing cancellation reason)."""
    db.rollback()
    stored = _run(run_id)
    allowed = to is not None and to in lifecycle.TRANSITIONS[stored.state]
    return failed_page(
        "production/run.html",
        status=FAILED if allowed else CONFLICT,
        message=message,
        **_run_context(stored),
    )


def _move(run_id: int, to: RunState) -> ResponseReturnValue:
    run = _run(run_id)
    session = db.session()
    try:
        if to is RunState.PRINTING:
            lifecycle.start_printing(session, run, current_user)
        elif to is RunState.IN_STOCK:
            lifecycle.mark_in_stock(session, run, current_user)
        elif to is RunState.CLOSED:
            lifecycle.close(session, run, current_user)
        else:
            reason = clean_text(request.form.get("reason", ""))
            lifecycle.cancel(session, run, current_user, reason)
    except InvalidTransition as error:
        return _refused_run(run_id, str(error), to)
    flash(_("Run %(run)d is %(state)s.", run=run.id, state=lifecycle.state_label(to)), "success")
    return redirect(url_for("production.run", run_id=run.id))


@bp.post("/runs/<id:run_id>/printing")
@staff_required
def start_printing(run_id: int) -> ResponseReturnValue:
    return _move(run_id, RunState.PRINTING)


@bp.post("/runs/<id:run_id>/in-stock")
@staff_required
def mark_in_stock(run_id: int) -> ResponseReturnValue:
    return _move(run_id, RunState.IN_STOCK)


@bp.post("/runs/<id:run_id>/close")
@staff_required
def close(run_id: int) -> ResponseReturnValue:
    return _move(run_id, RunState.CLOSED)


@bp.post("/runs/<id:run_id>/cancel")
@staff_required
def cancel(run_id: int) -> ResponseReturnValue:
    return _move(run_id, RunState.CANCELLED)


@bp.get("/runs/<id:run_id>/print-pack.zip")
@staff_required
def print_pack(run_id: int) -> ResponseReturnValue:
    run = _run(run_id)
    storage = current_app.extensions["cocreate.storage"]
    # A temporary file, not memory: the print master alone may be a hundred megabytes.
    out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _stream once sent
    try:
        printpack.write_print_pack(out, run, storage, at=clock().now())
    except FileNotFoundError:
        out.close()
        message = _("A file of this design is missing from storage: the pack cannot be made.")
        return _refused_run(run_id, message)
    except BaseException:
        out.close()
        raise
    size = out.tell()
    out.seek(0)
    response = Response(_stream(out), mimetype="application/zip")
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = f"attachment; filename={printpack.file_name(run)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


#: Bytes sent at a time from the pack's temporary file.
CHUNK = 1024 * 1024


def _stream(out: IO[bytes]) -> Iterator[bytes]:
    # The file closes (and so disappears) when the last chunk is sent, or when the server
    # closes the response early (a dropped download raises GeneratorExit here).
    try:
        while chunk := out.read(CHUNK):
            yield chunk
    finally:
        out.close()
