"""`flask db …`: schema migrations through Alembic (never run at app start)."""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import current_app
from flask.cli import with_appcontext

from cocreate.config import PROJECT_ROOT


def alembic_config(url: str | None = None) -> AlembicConfig:
    config = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _current_url() -> str:
    from cocreate.core import db

    return db.engine().url.render_as_string(hide_password=False)


@click.group("db")
def db_cli() -> None:
    """Database schema migrations."""


@db_cli.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    Path(current_app.instance_path).mkdir(parents=True, exist_ok=True)  # the SQLite file's home
    command.upgrade(alembic_config(_current_url()), revision)
    click.echo(f"Database at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
@with_appcontext
def downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    command.downgrade(alembic_config(_current_url()), revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def revision(message: str) -> None:
    """Write a new migration from the difference between models and database."""
    command.revision(alembic_config(_current_url()), message=message, autogenerate=True)


@db_cli.command("check")
@with_appcontext
def check() -> None:
    """Fail if the models and the migrations disagree."""
    command.check(alembic_config(_current_url()))
