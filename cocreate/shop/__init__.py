"""The shop: catalogue of products on sale, cart, checkout with stock reservation, orders."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # --- checkout: checkout, orders, the staff order desk, refunds -----------------------------
    # Imported here, not at the top: importing the models must not pull in the views.
    from cocreate.shop import checkout_views, desk_views, refund_sender
    from cocreate.shop.cli import shop_cli
    from cocreate.shop.items import item_name
    from cocreate.shop.lifecycle import state_label
    from cocreate.shop.orders import refunded
    from cocreate.shop.refunds import cause_label

    app.register_blueprint(checkout_views.bp)
    app.register_blueprint(desk_views.bp)
    app.cli.add_command(shop_cli)
    refund_sender.init_app(app)
    app.jinja_env.globals.update(
        order_state_label=state_label,
        shop_item_name=item_name,
        order_refunded=refunded,
        refund_cause_label=cause_label,
    )
