"""The shop's public pages: the catalogue, a design's product page, and the cart.

Anyone may browse and fill a cart, logged in or not. Every POST is checked for its CSRF token
by the app's CSRFProtect; prices never come from a form.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.core.responses import failed_page
from cocreate.shop import cart, cart_contents, catalogue, product_page

bp = Blueprint("shop", __name__, template_folder="templates")

_NUMBER = re.compile(r"[0-9]{1,9}")
#: Where the cart's "Check out" button leads, once the checkout's blueprint is registered.
CHECKOUT_ENDPOINT = "checkout.start"


def _number(field: str) -> int | None:
    text = request.form.get(field, "").strip()
    return int(text) if _NUMBER.fullmatch(text) else None


@bp.get("/shop")
def index() -> ResponseReturnValue:
    filters = catalogue.Filters.from_args(request.args)
    session = db.session()
    return render_template(
        "shop/catalogue.html",
        page=catalogue.catalogue_page(session, filters),
        filters=filters,
        sorts=list(catalogue.Sort),
        sort_label=catalogue.sort_label,
        products=catalogue.product_choices(),
        colours=catalogue.all_colours(),
        sizes=catalogue.all_sizes(),
        designers=catalogue.designers_on_sale(session),
        tags=catalogue.tags_on_sale(session),
    )


@bp.get("/shop/<int:design_id>")
def product(design_id: int) -> ResponseReturnValue:
    session = db.session()
    design = product_page.design_on_sale(session, design_id)
    page = product_page.product_page(session, design, request.args) if design else None
    if page is None:
        abort(404)
    return render_template(
        "shop/product.html",
        page=page,
        max_quantity=settings().CART_MAX_QUANTITY,
        low_stock=settings().SHOP_LOW_STOCK,
        stock_label=catalogue.stock_label,
    )


def _cart_page(status: int = 200, message: str | None = None) -> ResponseReturnValue:
    session = db.session()
    context = {
        "contents": cart_contents.contents(session, cart.current_owner()),
        "max_quantity": settings().CART_MAX_QUANTITY,
        "variant_label": catalogue.variant_label,
        "checkout_url": _checkout_url(),
    }
    if status == 200:
        return render_template("shop/cart.html", **context)
    return failed_page("shop/cart.html", status=status, message=message, **context)


def _checkout_url() -> str | None:
    try:
        return url_for(CHECKOUT_ENDPOINT)
    except BuildError:
        return None


@bp.get("/cart")
def cart_page() -> ResponseReturnValue:
    return _cart_page()


@bp.post("/cart/add")
def cart_add() -> ResponseReturnValue:
    limit = settings().CART_MAX_QUANTITY
    variant_id = _number("variant_id")
    quantity = _number("quantity")
    if variant_id is None:
        return _cart_page(422, _("Choose a size first."))
    if quantity is None or not 1 <= quantity <= limit:
        return _cart_page(422, _("Choose a quantity from 1 to %(max)d.", max=limit))
    session = db.session()
    try:
        added = cart.add(
            session,
            cart.owner_for_change(),
            variant_id,
            quantity,
            max_quantity=limit,
            now=clock().now(),
        )
    except cart.CartError as error:
        return _cart_page(422, str(error))
    flash(added.message(limit), "success" if added.quantity >= added.asked else "info")
    return redirect(url_for("shop.cart_page"))


@bp.post("/cart/lines/<int:variant_id>")
def cart_update(variant_id: int) -> ResponseReturnValue:
    limit = settings().CART_MAX_QUANTITY
    quantity = _number("quantity")
    owner = cart.current_owner()
    if quantity is None or not 1 <= quantity <= limit:
        return _cart_page(422, _("Choose a quantity from 1 to %(max)d.", max=limit))
    if owner is None:
        return _cart_page(422, _("This item is not in your cart."))
    try:
        cart.set_quantity(
            db.session(), owner, variant_id, quantity, max_quantity=limit, now=clock().now()
        )
    except cart.CartError as error:
        return _cart_page(422, str(error))
    flash(_("Your cart is updated."), "success")
    return redirect(url_for("shop.cart_page"))


@bp.post("/cart/lines/<int:variant_id>/remove")
def cart_remove(variant_id: int) -> ResponseReturnValue:
    owner = cart.current_owner()
    if owner is not None and cart.remove(db.session(), owner, variant_id, now=clock().now()):
        flash(_("The item is removed from your cart."), "info")
    return redirect(url_for("shop.cart_page"))
