"""Royalties: the double-entry ledger of what creators earn, its tiered rules, earnings that
clear after the return window, monthly statements, payouts, and the checks that tie them."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing the models must not pull in the views.
    from cocreate.royalties import ledger  # noqa: F401  (the append-only flush guard)

    _init_payouts(app)


def _init_payouts(app: Flask) -> None:
    """Payouts: the Stripe Connect client, the transfer sender, the payout pages."""
    from cocreate.config import settings
    from cocreate.royalties import connect, payout_sender
    from cocreate.royalties.payout_views import bp

    connect.init_app(app, settings(app))
    payout_sender.init_app(app)
    app.register_blueprint(bp)
