"""Payments: the gateways behind the shop's interface (demo and Stripe), the demo's payment page,
Stripe webhooks and reconciliation."""

from __future__ import annotations

from flask import Flask

from cocreate.config import settings


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing the models must not pull in the views.
    from cocreate.core import db
    from cocreate.core.clock import clock
    from cocreate.payments.cli import payments_cli
    from cocreate.payments.demo import DemoGateway
    from cocreate.payments.stripe_gateway import StripeGateway, make_client
    from cocreate.payments.views import bp, stripe_webhook
    from cocreate.shop import gateway

    config = settings(app)
    if config.PAYMENT_GATEWAY == "stripe":
        client = make_client(config.STRIPE_SECRET_KEY, config.STRIPE_API_BASE)
        gateway.register(app, StripeGateway(client, now=lambda: clock().now()))
    else:
        gateway.register(app, DemoGateway(db.session))
    app.register_blueprint(bp)
    # Stripe calls the webhook, not a browser: the signature on its body stands for the token.
    app.extensions["csrf"].exempt(stripe_webhook)
    app.cli.add_command(payments_cli)
