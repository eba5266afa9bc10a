"""Vote integrity: fraud signals on each vote, flags for staff, discounting and restoring."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cocreate.voting.models import Vote


def assess(session: Session, vote: Vote, *, now: datetime) -> None:
    """Called by the vote service after each new or changed vote (flushed), in its
    transaction: records a flag for staff when the vote matches a fraud signal.
    The integrity work fills this in; until then no vote is flagged."""
