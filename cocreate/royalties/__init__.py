"""Royalties: the double-entry ledger of what creators earn, its tiered rules, earnings that
clear after the return window, monthly statements, payouts, and the checks that tie them."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing the models must not pull in the views.
    from cocreate.royalties import ledger  # noqa: F401  (the append-only flush guard)
