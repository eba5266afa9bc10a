"""Royalties: the double-entry ledger of what creators earn, its tiered rules, earnings that
clear after the return window, monthly statements, payouts, and the checks that tie them."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing the models must not pull in the views.
    from cocreate.royalties import ledger  # noqa: F401  (the append-only flush guard)

    init_core(app)


# --- Rules, accruals, clearing, periods, verify, staff actions (helper "rcore") ----------------


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
