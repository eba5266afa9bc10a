"""The buyer's pages: checkout, their orders, an order's page, and a guest's signed link.

The cart is emptied when the buyer comes back to the order's page from the gateway (its
success URL), not when the order is placed: a buyer who cancels or whose card is declined
goes back to a cart that still holds their items. A gateway event cannot do it: it carries no
buyer session.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask import session as cookie_session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from cocreate.accounts.auth import member_required
from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.core.db import writes
from cocreate.core.i18n import current_locale
from cocreate.core.responses import CONFLICT, failed_page, form_page
from cocreate.shop import cart, checkout, orders, reservations
from cocreate.shop.checkout_forms import CheckoutForm, country_name
from cocreate.shop.gateway import gateway
from cocreate.shop.models import Order

bp = Blueprint("checkout", __name__, template_folder="templates")
logger = logging.getLogger(__name__)

#: The cart page (the catalog part's `/cart`, SHOP.md §5): where a cancelled payment returns.
CART_PATH = "/cart"
#: The order number just sent to the gateway, in the buyer's cookie: its cart is emptied when
#: they come back to that order's page.
PLACED_KEY = "checkout_placed"
#: The gateway did not answer as expected (network, provider error).
BAD_GATEWAY = 502


def _cart_url() -> str:
    return settings().PUBLIC_URL.rstrip("/") + CART_PATH


def _page(form: CheckoutForm, quote: checkout.Quote | None, country: str) -> dict[str, Any]:
    rates = sorted(
        ((country_name(code), rate) for code, rate in settings().SHIPPING_RATES.items()),
        key=lambda item: item[0],
    )
    return {
        "form": form,
        "quote": quote,
        "ship_country": country_name(country),
        "shipping_rates": rates,
    }


@bp.route("/checkout", methods=["GET", "POST"])
def start() -> ResponseReturnValue:
    """The order form: the cart priced on the server, the email and the shipping address."""
    session, config = db.session(), settings()
    lines = cart.current_cart_lines(session)
    if not lines:
        flash(_("Your cart is empty."), "info")
        return redirect(CART_PATH)
    form = CheckoutForm()
    form.set_countries(config.SHIP_TO_COUNTRIES)
    if request.method == "GET":
        if current_user.is_authenticated:
            form.email.data = current_user.email
        form.country.data = form.country.data or config.SHIP_TO_COUNTRIES[0]
    chosen = form.country.data or ""
    country = chosen if checkout.ships_to(chosen, config) else config.SHIP_TO_COUNTRIES[0]
    try:
        quote = checkout.quote(session, lines, country, config)
    except checkout.CheckoutError as error:
        return failed_page(
            "shop/checkout.html", status=CONFLICT, message=str(error), **_page(form, None, country)
        )
    if request.method == "GET" or not form.validate():
        return form_page("shop/checkout.html", **_page(form, quote, country))
    return _place(form, lines, quote, country)


def _place(
    form: CheckoutForm, lines: list[tuple[int, int]], quote: checkout.Quote, country: str
) -> Any:
    session, config = db.session(), settings()
    buyer = checkout.Buyer(
        email=form.email.data or "",
        user_id=current_user.id if current_user.is_authenticated else None,
        locale=current_locale().language,
    )
    try:
        order = checkout.place_order(
            session, lines, address=form.address(), buyer=buyer, now=clock().now(), config=config
        )
    except (checkout.CheckoutError, reservations.SoldOut) as error:
        return failed_page(
            "shop/checkout.html", status=CONFLICT, message=str(error), **_page(form, quote, country)
        )
    try:
        started = checkout.start_payment(
            session,
            order,
            gateway(),
            success_url=orders.order_link(order),
            cancel_url=_cart_url(),
        )
    except Exception:  # any provider failure (network, API error): roll back, reserve nothing
        logger.exception("the payment gateway refused to start checkout %s", order.number)
        return failed_page(
            "shop/checkout.html",
            status=BAD_GATEWAY,
            message=_(
                "The payment service could not be reached: nothing was charged and nothing "
                "is reserved. Please try again in a moment."
            ),
            **_page(form, quote, country),
        )
    cookie_session[PLACED_KEY] = order.number
    return redirect(started.redirect_url)


def _order_page(order: Order) -> str:
    if cookie_session.get(PLACED_KEY) == order.number:
        # Back from the gateway: the cart became this order.
        cart.clear_current_cart(db.session())
        cookie_session.pop(PLACED_KEY)
    return render_template("shop/order.html", order=order)


@bp.route("/orders")
@member_required
def orders_list() -> ResponseReturnValue:
    return render_template(
        "shop/orders.html", orders=orders.member_orders(db.session(), current_user)
    )


@bp.route("/orders/<number>")
@writes
@member_required
def order(number: str) -> ResponseReturnValue:
    """The buyer's (or staff's) view of an order; anyone else gets a 404, not a 403, so order
    numbers cannot be probed."""
    found = orders.by_number(db.session(), number)
    if found is None or not orders.may_see(found, current_user):
        abort(404)
    return _order_page(found)


@bp.route("/orders/<number>/<token>")
@writes
def guest_order(number: str, token: str) -> ResponseReturnValue:
    """A guest's signed link (sent with the order's emails)."""
    found = orders.by_number(db.session(), number)
    if found is None or not orders.token_matches(found, token):
        abort(404)
    return _order_page(found)
