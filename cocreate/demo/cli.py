"""`flask demo seed`: fill an empty database with a living marketplace."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core import db
from cocreate.demo import seed as seed_module


@click.group("demo")
def demo_cli() -> None:
    """Demo data."""


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has accounts.")
@click.option("--designs", default=45, show_default=True, help="How many demo designs.")
@with_appcontext
def seed(if_empty: bool, designs: int) -> None:
    """Create demo accounts and content, then print the demo logins."""
    if settings().ENV == "production":
        # The demo logins and their password are published in the README.
        raise click.ClickException("demo data is never seeded in production")
    with db.transaction() as session:
        if if_empty and session.scalar(select(func.count()).select_from(User)):
            click.echo("Demo data already present; nothing to do.")
            logins = seed_module.DEMO_LOGINS
        else:
            # Every design goes through the real artwork pipeline: say how far along it is.
            progress = seed_module.progress_printer(sys.stdout)
            logins = seed_module.seed_all(session, designs=designs, progress=progress)
    click.echo(f"\nDemo logins (password for all: {seed_module.DEMO_PASSWORD})")
    for role, email in logins:
        click.echo(f"  {role:<10} {email}")
