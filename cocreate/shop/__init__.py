"""The shop: catalogue of products on sale, cart, checkout with stock reservation, orders."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to wire yet: the shop's pages come with its models."""
