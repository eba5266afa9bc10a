"""Deleting stored files that no row references: `flask storage gc`.

Keys are content-addressed and shared (two designs with the same artwork share its files), so the
code that stops using a file never deletes it. Replaced artwork, a removed avatar, or an upload
whose transaction failed after its files were written all leave files behind; this collector
finds them.

Each domain declares, from its `init_app`, the columns that hold storage keys
(`register_key_columns`); core never imports a domain. A file is deleted only when it is
unreferenced AND older than the grace period.

Why that is safe beside uploads:
1. An upload writes its files before its transaction commits, so for a while its files exist and
   no committed row names them. The grace period covers that window: a file younger than it is
   never deleted. Re-uploading bytes that are already stored touches the file (`put_many`), so an
   old orphan about to be referenced again is young again.
2. The files are listed first, and the references of each batch are read afterwards, in a fresh
   transaction, right before that batch is deleted. Reading the references first would let a row
   committed between that read and the listing point at a file the collector then deletes.
3. At deletion the file's time is read again (`delete_if_older`): a file touched since it was
   listed is kept. What is left is the instant between that last check and the delete itself
   (one syscall on disk, one round trip on S3), during which a concurrent upload of the very same
   bytes would have to touch the file and commit: the collector runs daily, so this is accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from flask import Flask
from sqlalchemy import literal_column, select, union_all
from sqlalchemy.orm import InstrumentedAttribute, Session

from cocreate.core.storage import Storage, StoredFile

REFERENCES_EXTENSION = "cocreate.storage_key_columns"

#: How many files are checked against the database, then deleted, at a time.
BATCH_SIZE = 500

KeyColumn = InstrumentedAttribute[Any]
#: Given some keys, the subset that rows reference now.
ReferencedAmong = Callable[[Sequence[str]], set[str]]


def register_key_columns(app: Flask, *columns: KeyColumn) -> None:
    """Declare columns holding storage keys: a file named in any of them is kept."""
    app.extensions.setdefault(REFERENCES_EXTENSION, []).extend(columns)


def key_columns(app: Flask) -> list[KeyColumn]:
    return list(app.extensions.get(REFERENCES_EXTENSION, []))


def referenced_among(
    session: Session, columns: Sequence[KeyColumn], keys: Sequence[str]
) -> set[str]:
    """Which of `keys` some row references: one query, each branch on an indexed column."""
    if not columns:
        # With nothing registered every file would look unreferenced: refuse rather than wipe.
        raise RuntimeError("no storage key columns are registered")
    if not keys:
        return set()
    branches = [
        select(column.label("key")).where(column.in_(keys)).distinct() for column in columns
    ]
    statement = union_all(*branches)
    return set(session.scalars(select(literal_column("key")).select_from(statement.subquery())))


@dataclass
class GcResult:
    cutoff: datetime
    dry_run: bool
    #: Files listed (every stored file, young ones included).
    scanned: int = 0
    #: Unreferenced files older than the cutoff: deleted, or to be deleted in a dry run.
    orphans: list[StoredFile] = field(default_factory=list)
    #: Orphans found written again between listing and deletion, so kept.
    kept: int = 0

    @property
    def bytes(self) -> int:
        return sum(f.size for f in self.orphans)


def collect_garbage(
    storage: Storage,
    referenced: ReferencedAmong,
    *,
    now: datetime,
    grace: timedelta,
    delete: bool = False,
    batch_size: int = BATCH_SIZE,
) -> GcResult:
    """Find (and with `delete`, delete) unreferenced files last written before `now - grace`.

    `referenced` must read committed rows as of the moment it is called (a fresh transaction per
    call): it is called once per batch, after that batch was listed. See the module docstring.
    """
    if grace <= timedelta(0):
        raise ValueError("the grace period must be positive: uploads write before they commit")
    result = GcResult(cutoff=now - grace, dry_run=not delete)
    old = _old_files(storage.list_files(), result)
    while batch := list(islice(old, batch_size)):
        in_use = referenced([f.key for f in batch])
        for stored in batch:
            if stored.key in in_use:
                continue
            if not delete or storage.delete_if_older(stored.key, result.cutoff):
                result.orphans.append(stored)
            else:
                result.kept += 1
    return result


def _old_files(files: Iterable[StoredFile], result: GcResult) -> Iterator[StoredFile]:
    for stored in files:
        result.scanned += 1
        if stored.modified < result.cutoff:
            yield stored
