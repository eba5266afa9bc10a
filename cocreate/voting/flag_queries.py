"""The staff page's read side: flagged votes, one entry per vote with all its flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.designs.models import Design
from cocreate.voting.flag_models import FlagState, VoteFlag
from cocreate.voting.models import Vote, VoteSignal

PAGE_SIZE = 30


@dataclass(frozen=True)
class FlaggedVote:
    vote: Vote
    design_title: str
    voter_name: str
    #: Every flag of the vote, oldest first (whatever the state asked for).
    flags: list[VoteFlag]
    #: When its newest flag of the listed state was raised: the page's order.
    flagged_at: datetime

    @property
    def first_open_signal(self) -> VoteSignal:
        """The category a discount proposes: the vote's first open signal."""
        open_flags = [flag for flag in self.flags if flag.state is FlagState.OPEN]
        return (open_flags or self.flags)[0].signal


@dataclass(frozen=True)
class FlagPage:
    items: list[FlaggedVote]
    page: int
    has_next: bool


def flagged_votes(
    session: Session,
    state: FlagState,
    signal: VoteSignal | None,
    page: int,
    per_page: int = PAGE_SIZE,
) -> FlagPage:
    """Votes with a flag in `state` (of `signal`, if given), newest flag first."""
    flagged_at = func.max(VoteFlag.created_at).label("flagged_at")
    query = select(VoteFlag.vote_id, flagged_at).where(VoteFlag.state == state)
    if signal is not None:
        query = query.where(VoteFlag.signal == signal)
    query = (
        query.group_by(VoteFlag.vote_id)
        .order_by(flagged_at.desc(), VoteFlag.vote_id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    rows = session.execute(query).all()
    listed = rows[:per_page]
    ids = [row.vote_id for row in listed]
    votes = {
        vote.id: (vote, title, name)
        for vote, title, name in session.execute(
            select(Vote, Design.title, User.display_name)
            .join(Design, Design.id == Vote.design_id)
            .join(User, User.id == Vote.voter_id)
            .where(Vote.id.in_(ids))
        ).all()
    }
    flags: dict[int, list[VoteFlag]] = {vote_id: [] for vote_id in ids}
    for flag in session.scalars(
        select(VoteFlag).where(VoteFlag.vote_id.in_(ids)).order_by(VoteFlag.id)
    ):
        flags[flag.vote_id].append(flag)
    items = [
        FlaggedVote(*votes[row.vote_id], flags=flags[row.vote_id], flagged_at=row.flagged_at)
        for row in listed
    ]
    return FlagPage(items=items, page=page, has_next=len(rows) > per_page)
