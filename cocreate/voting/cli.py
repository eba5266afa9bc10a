"""`flask voting …`: the scheduled jobs of voting (see README, "Scheduled jobs")."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.designs import lifecycle
from cocreate.designs.models import Design, DesignState
from cocreate.voting import counters


@click.group("voting")
def voting_cli() -> None:
    """Voting jobs."""


def _due() -> list[int]:
    now = clock().now()
    with db.transaction() as session:
        return list(
            session.scalars(
                select(Design.id)
                .where(Design.state == DesignState.VOTING, Design.voting_ends_at <= now)
                .order_by(Design.id)
            )
        )


def close_one(design_id: int) -> bool:
    """Close one ended design in its own short transaction; False if another run has it.

    SKIP LOCKED: a design another run is closing right now is skipped, not waited for; one it
    has already closed is no longer in voting. Either way it is closed exactly once, with one
    audit row, and the `transitioned` signal (the designer's notification) fires once.
    """
    now = clock().now()
    with db.transaction() as session:
        design = session.scalars(
            select(Design)
            .where(
                Design.id == design_id,
                Design.state == DesignState.VOTING,
                Design.voting_ends_at <= now,
            )
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).one_or_none()
        if design is None:
            return False
        try:
            lifecycle.close_voting(session, design, at=now)
        except lifecycle.InvalidTransition:
            return False  # withdrawn, removed or closed meanwhile (SQLite has no row locks)
    return True


@voting_cli.command("close-expired")
@with_appcontext
def close_expired() -> None:
    """Close every design whose voting window has ended. Safe to run twice at once."""
    closed = sum(close_one(design_id) for design_id in _due())
    click.echo(f"Closed voting on {closed} design(s).")


@voting_cli.command("refresh-ranking")
@with_appcontext
def refresh_ranking() -> None:
    """Recompute the mean score m of the ranking and re-rank the designs it changes."""
    with db.transaction() as session:
        mean = counters.refresh_ranking(
            session, prior_weight=settings().VOTING_PRIOR_WEIGHT, now=clock().now()
        )
    click.echo(f"Mean score m = {mean:.4f}; ranks refreshed.")
