"""The session factory_boy factories write to; set per test by the db_session fixture."""

from __future__ import annotations

from sqlalchemy.orm import Session

current: Session | None = None


def get() -> Session:
    if current is None:
        raise RuntimeError("factories need the db_session fixture")
    return current
