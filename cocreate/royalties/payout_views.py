"""Payout pages: a creator's threshold, payouts and Stripe account; staff running batches,
recording manual payments, and each payout's CSV of what it covers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from cocreate.accounts.auth import member_required, staff_required
from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.core.i18n import format_money
from cocreate.core.lifecycle import InvalidTransition
from cocreate.core.responses import CONFLICT, FAILED, failed_page
from cocreate.royalties import connect, ledger, payouts
from cocreate.royalties.models import Payout, PayoutAccount, PayoutMethod, PayoutState
from cocreate.royalties.payout_forms import ConfirmForm, RecordPaymentForm, ThresholdForm

bp = Blueprint("payouts", __name__, template_folder="templates")


def _helpers() -> dict[str, Any]:
    return {
        "payout_state_label": payouts.state_label,
        "payout_method_label": payouts.method_label,
    }


# -- the creator's page --------------------------------------------------------------------------


def _public(endpoint: str) -> str:
    return settings().PUBLIC_URL.rstrip("/") + url_for(endpoint)


def _settings_context(form: ThresholdForm | None = None) -> dict[str, Any]:
    session = db.session()
    config = settings()
    account = session.get(PayoutAccount, current_user.id)
    threshold = payouts.threshold_of(account, config)
    if form is None:
        form = ThresholdForm(formdata=None, threshold=str(threshold.to_decimal()))
    return {
        "account": account,
        "threshold": threshold,
        "minimum": payouts.minimum(config),
        "balance": ledger.balance(session, current_user.id, config.CURRENCY),
        "payouts": payouts.creator_payouts(session, current_user.id),
        "form": form,
        "connect_form": ConfirmForm(formdata=None),
        "stripe": connect.client() is not None,
        **_helpers(),
    }


@bp.get("/royalties/payouts")
@member_required
def settings_page() -> ResponseReturnValue:
    return render_template("royalties/payouts.html", **_settings_context())


@bp.post("/royalties/payouts/threshold")
@member_required
def threshold() -> ResponseReturnValue:
    form = ThresholdForm()
    config = settings()
    if not form.validate():
        return failed_page(
            "royalties/payouts.html",
            message=_("Please enter your threshold as an amount such as 50.00."),
            **_settings_context(form),
        )
    try:
        payouts.set_threshold(
            db.session(),
            current_user,
            form.amount(config.CURRENCY),
            settings=config,
            now=clock().now(),
        )
    except payouts.PayoutError as error:
        form.threshold.errors = [str(error)]
        return failed_page("royalties/payouts.html", message=str(error), **_settings_context(form))
    flash(_("Your payout threshold is saved."), "success")
    return redirect(url_for(".settings_page"))


def _stripe() -> Any:
    stripe_client = connect.client()
    if stripe_client is None:
        abort(404)
    return stripe_client


@bp.post("/royalties/payouts/connect")
@member_required
def connect_stripe() -> ResponseReturnValue:
    stripe_client = _stripe()
    if not ConfirmForm().validate():
        abort(400)
    url = connect.start(
        db.session(),
        current_user,
        stripe_client,
        settings=settings(),
        now=clock().now(),
        return_url=_public(".connect_return"),
        refresh_url=_public(".connect_refresh"),
    )
    return redirect(url)


@bp.get("/royalties/payouts/connect/return")
@member_required
@db.writes
def connect_return() -> ResponseReturnValue:
    """Stripe sends the creator back here when they finish (or leave) onboarding."""
    account = connect.refresh(db.session(), current_user, _stripe(), settings=settings())
    if account is None:
        return redirect(url_for(".settings_page"))
    if account.stripe_ready:
        flash(_("Your bank account is connected: your next payouts go there."), "success")
    else:
        flash(
            _("Stripe still needs some details before it can pay you: continue when ready."),
            "info",
        )
    return redirect(url_for(".settings_page"))


@bp.get("/royalties/payouts/connect/refresh")
@member_required
def connect_refresh() -> ResponseReturnValue:
    """Stripe sends the creator here when the onboarding link expired: a fresh one."""
    stripe_client = _stripe()
    account = db.session().get(PayoutAccount, current_user.id)
    if account is None or account.stripe_account_id is None:
        return redirect(url_for(".settings_page"))
    return redirect(
        connect.onboarding_link(
            stripe_client,
            account,
            return_url=_public(".connect_return"),
            refresh_url=_public(".connect_refresh"),
        )
    )


def _csv(payout: Payout) -> Response:
    lines = payouts.covers(db.session(), payout)
    response = Response(payouts.covers_csv(payout, lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename=payout-{payout.id}.csv"
    return response


@bp.get("/royalties/payouts/<id:payout_id>.csv")
@member_required
def own_csv(payout_id: int) -> ResponseReturnValue:
    payout = db.session().get(Payout, payout_id)
    if payout is None or payout.creator_id != current_user.id:
        abort(404)
    return _csv(payout)


# -- staff ---------------------------------------------------------------------------------------


def _staff_context() -> dict[str, Any]:
    session = db.session()
    config = settings()
    owed = payouts.eligible(session, config)
    batches = payouts.recent_batches(session)
    people: set[int | None] = {e.creator_id for e in owed}
    for batch in batches:
        people |= {p.creator_id for p in batch.payouts} | {p.created_by_id for p in batch.payouts}
    return {
        "owed": owed,
        "owed_total": sum((e.cleared.amount for e in owed), 0),
        "ready": payouts.stripe_ready_ids(session, [e.creator_id for e in owed]),
        "batches": batches,
        "names": payouts.names(session, people),
        "run_form": ConfirmForm(formdata=None),
        "record_form": RecordPaymentForm(formdata=None),
        "currency": config.CURRENCY,
        **_helpers(),
    }


@bp.get("/staff/royalties/payouts")
@staff_required
def staff_index() -> ResponseReturnValue:
    return render_template("royalties/payouts_staff.html", **_staff_context())


@bp.post("/staff/royalties/payouts/run")
@staff_required
def run() -> ResponseReturnValue:
    if not ConfirmForm().validate():
        abort(400)
    config = settings()
    batch = payouts.run_batch(db.session(), actor=current_user, now=clock().now(), settings=config)
    if batch.payouts:
        flash(
            ngettext(
                "Batch %(batch)s: %(num)d payout, %(total)s in all.",
                "Batch %(batch)s: %(num)d payouts, %(total)s in all.",
                len(batch.payouts),
                batch=batch.number,
                total=format_money(batch.total(config.CURRENCY)),
            ),
            "success",
        )
    else:
        flash(_("Nobody's cleared earnings reach their threshold: no payout made."), "info")
    return redirect(url_for(".staff_index"))


def _payout(payout_id: int) -> Payout:
    payout = db.session().get(Payout, payout_id)
    if payout is None:
        abort(404)
    return payout


def _payout_context(payout: Payout, record_form: RecordPaymentForm | None = None) -> dict[str, Any]:
    session = db.session()
    rows = payouts.history(session, payout)
    siblings = payouts.batch_payouts(session, payout.batch)
    people = {payout.creator_id, payout.created_by_id, *(r.actor_id for r in rows)}
    people |= {p.creator_id for p in siblings}
    return {
        "payout": payout,
        "history": rows,
        "siblings": siblings,
        "names": payouts.names(session, people),
        "record_form": record_form or RecordPaymentForm(formdata=None),
        "can_record": payout.method is PayoutMethod.MANUAL and payout.state is PayoutState.SENT,
        **_helpers(),
    }


@bp.get("/staff/royalties/payouts/<id:payout_id>")
@staff_required
def staff_payout(payout_id: int) -> ResponseReturnValue:
    return render_template("royalties/payout_staff.html", **_payout_context(_payout(payout_id)))


@bp.post("/staff/royalties/payouts/<id:payout_id>/record")
@staff_required
def record(payout_id: int) -> ResponseReturnValue:
    payout = _payout(payout_id)
    form = RecordPaymentForm()
    status, message = FAILED, _("Please enter the bank transfer's reference.")
    if form.validate():
        try:
            payouts.record_manual(
                db.session(), payout, form.reference.data or "", current_user, clock().now()
            )
        except payouts.PayoutError as error:
            message = str(error)
        except InvalidTransition as error:
            status, message = CONFLICT, str(error)
        else:
            flash(
                _(
                    "Payout %(id)d is recorded paid (%(reference)s).",
                    id=payout.id,
                    reference=payout.reference,
                ),
                "success",
            )
            return redirect(url_for(".staff_payout", payout_id=payout.id))
    db.rollback()
    return failed_page(
        "royalties/payout_staff.html",
        status=status,
        message=message,
        **_payout_context(_payout(payout_id), form),
    )


@bp.get("/staff/royalties/payouts/<id:payout_id>.csv")
@staff_required
def staff_csv(payout_id: int) -> ResponseReturnValue:
    return _csv(_payout(payout_id))
