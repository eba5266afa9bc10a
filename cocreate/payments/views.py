"""The demo gateway's payment page, and the Stripe webhook endpoint."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.core.responses import CONFLICT, failed_page
from cocreate.payments import demo, webhooks
from cocreate.payments.models import DemoCheckout
from cocreate.payments.shop_link import shop_events

bp = Blueprint("payments", __name__, template_folder="templates")


# --- Demo gateway ------------------------------------------------------------------------------
# Public: the buyer may be a guest. The random reference in the URL is what opens the page, as
# a Stripe Checkout Session's URL does.


def _checkout(reference: str) -> DemoCheckout:
    checkout = demo.find(db.session(), reference)
    if checkout is None:
        abort(404)
    return checkout


def _page(checkout: DemoCheckout) -> dict[str, Any]:
    return {"checkout": checkout, "open": demo.is_open(checkout, clock().now())}


@bp.get("/pay/demo/<reference>")
def demo_checkout(reference: str) -> ResponseReturnValue:
    return render_template("payments/demo_checkout.html", **_page(_checkout(reference)))


@bp.post("/pay/demo/<reference>")
def demo_decide(reference: str) -> ResponseReturnValue:
    try:
        choice = demo.Choice(request.form.get("choice", ""))
    except ValueError:
        return failed_page(
            "payments/demo_checkout.html",
            message=_("Choose one of the three outcomes."),
            **_page(_checkout(reference)),
        )
    try:
        destination = demo.decide(
            db.session(), reference, choice, shop=shop_events(), now=clock().now()
        )
    except LookupError:
        abort(404)
    except demo.Closed:
        return failed_page(
            "payments/demo_checkout.html",
            status=CONFLICT,
            message=_("This payment is already closed: nothing was changed."),
            **_page(_checkout(reference)),
        )
    return redirect(destination, code=303)


# --- Stripe webhooks ---------------------------------------------------------------------------
# Called by Stripe, not a browser: exempt from CSRF (see init_app); the signature on the raw
# body is the proof of origin.


@bp.post("/webhooks/stripe")
def stripe_webhook() -> ResponseReturnValue:
    now = clock().now()
    try:
        event = webhooks.verified_event(
            request.get_data(cache=False),
            request.headers.get("Stripe-Signature"),
            secret=settings().STRIPE_WEBHOOK_SECRET,
            now=now,
        )
    except webhooks.Rejected as exc:
        return {"error": str(exc)}, 400
    outcome = webhooks.handle(db.session(), event, shop=shop_events(), now=now)
    return {"received": True, "outcome": outcome.value}, 200
