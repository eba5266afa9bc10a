"""Royalties: the double-entry ledger of what creators earn, its tiered rules, earnings that
clear after the return window, monthly statements, payouts, and the checks that tie them."""

from __future__ import annotations

from flask import Flask, g
from flask_login import current_user


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing the models must not pull in the views.
    from cocreate.royalties import ledger  # noqa: F401  (the append-only flush guard)

    init_core(app)
    init_pages(app)
    _init_payouts(app)


# --- What creators and staff read: dashboard, statements, staff overview ----------------------


def init_pages(app: Flask) -> None:
    from cocreate.royalties import dashboard_views, overview_views

    app.register_blueprint(dashboard_views.bp)
    app.register_blueprint(overview_views.bp)
    app.jinja_env.globals.update(has_royalties=has_royalties)


def has_royalties() -> bool:
    """Whether the reader has designs or royalties (the account menu's "Royalties" link); asked
    once per request."""
    if not current_user.is_authenticated:
        return False
    if "has_royalties" not in g:
        from cocreate.core import db
        from cocreate.royalties.dashboard import is_creator

        g.has_royalties = is_creator(db.session(), current_user.id)
    return bool(g.has_royalties)


def _init_payouts(app: Flask) -> None:
    """Payouts: the Stripe Connect client, the transfer sender, the payout pages."""
    from cocreate.config import settings
    from cocreate.royalties import connect, payout_sender
    from cocreate.royalties.payout_views import bp

    connect.init_app(app, settings(app))
    payout_sender.init_app(app)
    app.register_blueprint(bp)


# --- Rules, accruals, clearing, periods, verify, staff actions  ---------------------------------


def init_core(app: Flask) -> None:
    from cocreate.core.lifecycle import transitioned
    from cocreate.designs.models import Design
    from cocreate.royalties import accruals
    from cocreate.royalties.admin_views import bp as admin_bp
    from cocreate.royalties.cli import royalties_cli
    from cocreate.shop.models import Order
    from cocreate.shop.signals import refund_done

    # Royalties sits above the shop and designs: they tell it through signals. Blinker keeps
    # one connection per (receiver, sender): an app made again (tests make one per test)
    # connects the same functions, a no-op.
    transitioned.connect(accruals.on_order_transition, sender=Order)
    transitioned.connect(accruals.on_design_transition, sender=Design)
    refund_done.connect(accruals.on_refund_done, sender=Order)
    app.cli.add_command(royalties_cli)
    app.register_blueprint(admin_bp)
