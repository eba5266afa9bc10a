"""The staff order desk: search, an order's page, shipping it, refunding it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from cocreate.accounts.auth import staff_required
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.core.i18n import format_money
from cocreate.core.responses import CONFLICT, FAILED, failed_page
from cocreate.shop import desk, lifecycle, orders, refunds
from cocreate.shop.checkout_forms import FulfilForm, RefundForm
from cocreate.shop.models import Order, OrderState

bp = Blueprint("order_desk", __name__, template_folder="templates", url_prefix="/staff/orders")

_UNITS = re.compile(r"[0-9]{1,4}")


@bp.route("/")
@staff_required
def search() -> ResponseReturnValue:
    text = request.args.get("q", "")[:200]
    state_value = request.args.get("state", "")
    state = OrderState(state_value) if state_value in set(OrderState) else None
    found = desk.search(db.session(), text=text, state=state)
    return render_template(
        "shop/desk_orders.html", orders=found, q=text, state=state, states=list(OrderState)
    )


def _order(number: str) -> Order:
    found = orders.by_number(db.session(), number)
    if found is None:
        abort(404)
    return found


def _page_context(order: Order, **forms: Any) -> dict[str, Any]:
    session = db.session()
    rows = desk.history(session, order)
    names = desk.staff_names(
        session, {r.actor_id for r in rows} | {r.requested_by_id for r in order.refunds}
    )
    return {
        "order": order,
        "history": rows,
        "names": names,
        "fulfil_form": forms.get("fulfil_form") or FulfilForm(formdata=None),
        "refund_form": forms.get("refund_form")
        or RefundForm(formdata=None, data={"restock": refunds.restock_by_default(order)}),
        "units": forms.get("units", {}),
        "can_fulfil": order.fulfilled_at is None
        and lifecycle.TRANSITIONS.allows(order.state, OrderState.FULFILLED),
        "can_refund": order.state in refunds.REFUNDABLE,
        "remaining": {line.id: refunds.remaining_units(order, line) for line in order.lines},
        "shipping_refunded": refunds.shipping_refunded(order),
    }


@bp.route("/<number>")
@staff_required
def detail(number: str) -> ResponseReturnValue:
    return render_template("shop/desk_order.html", **_page_context(_order(number)))


@bp.route("/id/<int:order_id>")
@staff_required
def by_id(order_id: int) -> ResponseReturnValue:
    """An order by its id, for pages that only know the id (the staff audit log)."""
    order = db.session().get(Order, order_id)
    if order is None:
        abort(404)
    return redirect(url_for(".detail", number=order.number))


def _refused(number: str, message: str, status: int, **forms: Any) -> ResponseReturnValue:
    db.rollback()
    return failed_page(
        "shop/desk_order.html",
        status=status,
        message=message,
        **_page_context(_order(number), **forms),
    )


@bp.route("/<number>/fulfil", methods=["POST"])
@staff_required
def fulfil(number: str) -> ResponseReturnValue:
    order = _order(number)
    form = FulfilForm()
    if not form.validate():
        return _refused(number, _("Please enter the tracking number."), FAILED, fulfil_form=form)
    try:
        desk.fulfil(
            db.session(),
            order,
            current_user,
            tracking_number=form.tracking_number.data or "",
            at=clock().now(),
        )
    except lifecycle.InvalidTransition as error:
        return _refused(number, str(error), CONFLICT, fulfil_form=form)
    flash(_("Order %(number)s is marked shipped.", number=order.number), "success")
    return redirect(url_for("order_desk.detail", number=order.number))


def _units(form: Mapping[str, str], order: Order) -> dict[int, int] | None:
    """Units per line from the `qty-<line id>` fields (empty is 0); None if one is not a
    whole number."""
    units = {}
    for line in order.lines:
        raw = form.get(f"qty-{line.id}", "").strip() or "0"
        if not _UNITS.fullmatch(raw):
            return None
        units[line.id] = int(raw)
    return units


@bp.route("/<number>/refund", methods=["POST"])
@staff_required
def refund(number: str) -> ResponseReturnValue:
    order = _order(number)
    form = RefundForm()
    whole = request.form.get("scope") == "whole"
    units = _units(request.form, order)
    if units is None:
        return _refused(number, _("Quantities must be whole numbers."), FAILED, refund_form=form)
    if not form.validate():
        message = (
            str(form.restock.errors[0])
            if form.restock.errors
            else _("Please say why this order is refunded.")
        )
        return _refused(number, message, FAILED, refund_form=form, units=units)
    try:
        made = desk.refund(
            db.session(),
            order,
            current_user,
            quantities=units,
            whole=whole,
            reason=form.reason.data or "",
            at=clock().now(),
            restock=bool(form.restock.data),
        )
    except refunds.RefundError as error:
        return _refused(number, str(error), FAILED, refund_form=form, units=units)
    if made.restock:
        sent = _(
            "A refund of %(amount)s is on its way to the payment service; its units go back "
            "to stock once it is done.",
            amount=format_money(made.amount),
        )
    else:
        sent = _(
            "A refund of %(amount)s is on its way to the payment service.",
            amount=format_money(made.amount),
        )
    flash(sent, "success")
    return redirect(url_for("order_desk.detail", number=order.number))
