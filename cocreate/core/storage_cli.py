"""`flask storage …`: maintenance of stored files, run by cron or a systemd timer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.core.storage import LocalStorage, Storage
from cocreate.core.storage_gc import collect_garbage, key_columns, referenced_among


@click.group("storage")
def storage_cli() -> None:
    """Stored files (artwork, mockups, avatars)."""


@storage_cli.command("gc")
@click.option("--delete", is_flag=True, help="Delete the files (default: only list them).")
@click.option(
    "--grace-hours",
    type=click.IntRange(min=1),
    default=None,
    help="Keep unreferenced files younger than this (default: STORAGE_GC_GRACE_HOURS).",
)
@with_appcontext
def gc(delete: bool, grace_hours: int | None) -> None:
    """Delete stored files that no row references and that are older than the grace period.

    A dry run unless --delete is given. Safe to run while members upload.
    """
    hours = grace_hours if grace_hours is not None else current_app.config["STORAGE_GC_GRACE_HOURS"]
    if hours < 1:
        raise click.UsageError("STORAGE_GC_GRACE_HOURS must be at least 1.")
    storage: Storage = current_app.extensions["cocreate.storage"]
    columns = key_columns(current_app)
    if not columns:
        raise click.ClickException("No storage key columns are registered; refusing to run.")

    def referenced(keys: Sequence[str]) -> set[str]:
        # A transaction per batch: on SQLite a transaction keeps reading the snapshot it began
        # with, and each batch must see the rows committed up to now.
        with db.transaction() as session:
            return referenced_among(session, columns, keys)

    result = collect_garbage(
        storage, referenced, now=clock().now(), grace=timedelta(hours=hours), delete=delete
    )
    for stored in result.orphans:
        click.echo(f"{'deleted' if delete else 'would delete'} {stored.key} ({stored.size} bytes)")
    summary = (
        f"{len(result.orphans)} unreferenced file(s) older than {hours} hour(s), "
        f"{result.bytes} bytes, out of {result.scanned} stored file(s)"
    )
    if delete:
        click.echo(f"Deleted {summary}.")
        if result.kept:
            click.echo(f"Kept {result.kept} file(s) written again since they were listed.")
        if isinstance(storage, LocalStorage):
            # Half-written files of writes killed before their rename: never named like a key.
            swept = storage.remove_stale_temp_files(older_than_seconds=hours * 3600)
            if swept:
                click.echo(f"Removed {swept} temporary file(s) left by interrupted writes.")
    else:
        click.echo(f"Dry run: would delete {summary}. Run with --delete to delete them.")
