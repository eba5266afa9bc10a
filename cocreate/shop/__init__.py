"""The shop: catalogue of products on sale, cart, checkout with stock reservation, orders."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    init_catalogue_and_cart(app)
    init_checkout(app)


# --- Catalogue, product pages and the cart ----------------------------------------------------


def init_catalogue_and_cart(app: Flask) -> None:
    # Imported here, not at the top: importing the models must not pull in the views.
    from flask_login import user_logged_in

    from cocreate.designs import page_sections
    from cocreate.shop import cart, cart_models, product_page  # noqa: F401  (tables known)
    from cocreate.shop.views import bp

    app.register_blueprint(bp)
    # Accounts sits below the shop, so log-in cannot call the cart: Flask-Login's signal, sent
    # by `login_user` inside `accounts.auth.log_in`, merges the anonymous cart. Blinker keeps
    # one connection per receiver: an app made again (tests make one per test) changes nothing.
    user_logged_in.connect(cart.merge_at_login)
    page_sections.register(app, "aside", product_page.render_design_section)
    app.jinja_env.globals.update(cart_count=cart.current_count)


# --- Checkout, orders, the staff order desk, refunds ------------------------------------------


def init_checkout(app: Flask) -> None:
    from cocreate.shop import cancel_sender, checkout_views, desk_views, refund_sender
    from cocreate.shop.cli import shop_cli
    from cocreate.shop.items import item_name
    from cocreate.shop.lifecycle import state_label
    from cocreate.shop.orders import refunded
    from cocreate.shop.refunds import cause_label

    app.register_blueprint(checkout_views.bp)
    app.register_blueprint(desk_views.bp)
    app.cli.add_command(shop_cli)
    refund_sender.init_app(app)
    cancel_sender.init_app(app)
    app.jinja_env.globals.update(
        order_state_label=state_label,
        shop_item_name=item_name,
        order_refunded=refunded,
        refund_cause_label=cause_label,
    )
