"""`flask designs …`: jobs run by cron or a systemd timer."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.designs import lifecycle
from cocreate.designs.models import Design, DesignState


@click.group("designs")
def designs_cli() -> None:
    """Design jobs."""


@designs_cli.command("close-voting")
@with_appcontext
def close_voting() -> None:
    """Close every design whose voting window has ended. Safe to run twice at once."""
    now = clock().now()
    closed = 0
    with db.transaction() as session:
        # SKIP LOCKED: a second run at the same moment takes the other rows, never the same.
        due = session.scalars(
            select(Design)
            .where(Design.state == DesignState.VOTING, Design.voting_ends_at <= now)
            .order_by(Design.id)
            .with_for_update(skip_locked=True)
        ).all()
        for design in due:
            try:
                lifecycle.close_voting(session, design, at=now)
            except lifecycle.InvalidTransition:
                continue  # withdrawn or removed meanwhile
            closed += 1
    click.echo(f"Closed voting on {closed} design(s).")
