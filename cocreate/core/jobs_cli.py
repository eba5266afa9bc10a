"""`flask jobs …`: run the RQ worker, or deliver the due outbox rows now."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from cocreate.config import settings
from cocreate.core import jobs


@click.group("jobs")
def jobs_cli() -> None:
    """Background jobs: outbox delivery."""


@jobs_cli.command("deliver")
@with_appcontext
def deliver() -> None:
    """Deliver every due outbox row now (run it every minute from a scheduler)."""
    outcome = jobs.deliver(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"Outbox: {jobs.outcome_text(outcome)}.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run an RQ worker for the jobs queue (needs REDIS_URL)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not settings(app).REDIS_URL:
        raise click.UsageError("REDIS_URL is not set: delivery runs inside the app process.")
    # Rows a crashed process left behind are delivered before waiting for new jobs.
    outcome = jobs.deliver(app)
    click.echo(f"Outbox sweep: {jobs.outcome_text(outcome)}.")
    jobs.make_worker(app).work(burst=burst)
