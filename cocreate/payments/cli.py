"""`flask payments …`: Stripe reconciliation, run by cron or a systemd timer (daily is enough:
webhooks carry the events, this catches the ones Stripe gave up delivering)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.payments import reconcile as reconciliation
from cocreate.payments.shop_link import shop_events
from cocreate.payments.stripe_gateway import make_client


@click.group("payments")
def payments_cli() -> None:
    """Payment jobs."""


@payments_cli.command("reconcile-stripe")
@click.option(
    "--days",
    type=click.IntRange(1, reconciliation.MAX_DAYS),
    default=3,
    show_default=True,
    help="How far back to list Stripe's events (Stripe retries a webhook for 3 days).",
)
@with_appcontext
def reconcile_stripe(days: int) -> None:
    """Apply the recent Stripe events that were never received. Safe to run again."""
    config = settings()
    if not config.STRIPE_SECRET_KEY:
        raise click.ClickException("STRIPE_SECRET_KEY is not set: there is no Stripe to ask.")
    now = clock().now()
    client = make_client(config.STRIPE_SECRET_KEY, config.STRIPE_API_BASE)
    events = reconciliation.recent_events(client, reconciliation.since(now, days))
    report = reconciliation.reconcile(
        events, transaction=db.transaction, shop=shop_events(), now=now
    )
    click.echo(
        f"Listed {report.listed} event(s): applied {report.applied}, "
        f"{report.already_stored} already stored, {report.unreadable} unreadable."
    )
