"""`flask royalties …`: clearing earnings (cron), closing a month, reconciling the ledger."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.royalties import clearing, periods, verify


@click.group("royalties")
def royalties_cli() -> None:
    """Royalty jobs and checks."""


@royalties_cli.command("clear-earnings")
@with_appcontext
def clear_earnings() -> None:
    """Clear the earnings whose return window has passed (run daily or more often)."""
    with db.transaction() as session:
        count = clearing.clear_due(session, now=clock().now(), settings=settings())
    click.echo(f"Cleared {count} accrual(s).")


@royalties_cli.command("close-period")
@click.argument("period")
@with_appcontext
def close_period(period: str) -> None:
    """Close PERIOD (a month, YYYY-MM) for every creator, and earlier open months first."""
    try:
        with db.transaction() as session:
            result = periods.close_period(session, period, actor_id=None, now=clock().now())
    except periods.PeriodError as error:
        raise click.ClickException(str(error)) from error
    if result.already_closed:
        click.echo(f"{period} was already closed; nothing changed.")
    else:
        click.echo(f"Closed {period}: {result.statements} statement(s).")


@royalties_cli.command("verify")
@click.option(
    "--full",
    is_flag=True,
    help="Run every exact check (slower) instead of the quick check first.",
)
@with_appcontext
def verify_command(full: bool) -> None:
    """Check the ledger against itself, the statements and the shop; exit 1 on a problem."""
    with db.transaction() as session:
        problems = verify.verify(session, settings=settings(), full=full)
    for problem in problems:
        click.echo(problem)
    if problems:
        sys.exit(1)
    click.echo("ledger OK")
