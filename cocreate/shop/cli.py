"""`flask shop …`: the shop's jobs, run by cron or a systemd timer (every minute or so)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.shop import reservations


@click.group("shop")
def shop_cli() -> None:
    """Shop jobs."""


@shop_cli.command("release-expired")
@with_appcontext
def release_expired() -> None:
    """Cancel the checkouts that expired unpaid and put their stock back on sale.

    Each order in its own short transaction, locked with SKIP LOCKED: two runs at once (or a
    run racing a payment event) never release one order twice, and a failure on one order
    keeps the others' releases."""
    now = clock().now()
    with db.transaction() as session:
        due = reservations.expired_order_ids(session, now)
    released = 0
    for order_id in due:
        with db.transaction() as session:
            released += reservations.expire_one(session, order_id, now=now)
    click.echo(f"Released {released} expired checkout(s).")
