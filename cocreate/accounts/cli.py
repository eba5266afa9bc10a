"""`flask users …`: account administration from the shell."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from cocreate.accounts import services
from cocreate.accounts.models import Role
from cocreate.core import db


@click.group("users")
def users_cli() -> None:
    """Manage accounts."""


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="Admin", show_default=True, help="Display name.")
@click.password_option(help="Asked for when not given.")
@with_appcontext
def create_admin(email: str, name: str, password: str) -> None:
    """Create an administrator account, or make an existing account administrator."""
    with db.transaction() as session:
        user = services.find_by_email(session, email)
        if user is not None:
            user.role = Role.ADMIN
            click.echo(f"{user.email} is now an administrator.")
            return
        try:
            user = services.register(
                session,
                email=email,
                display_name=name,
                password=password,
                role=Role.ADMIN,
                send_verification=False,
            )
        except services.AccountError as error:
            raise click.ClickException(str(error)) from error
        user.email_verified_at = db.now_utc()
        click.echo(f"Administrator {user.email} created.")
