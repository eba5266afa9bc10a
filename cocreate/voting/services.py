"""Casting a vote: one per member per design, changeable until the window closes.

The rules are checked here, in the order a voter would want to hear them; the database keeps
the one that matters under concurrency (one vote per member per design) with its unique
constraint. The design's counters move in the vote's own transaction (counters.apply), by the
difference between the vote before and after.
"""

from __future__ import annotations

import typing
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached

from cocreate.accounts.models import User
from cocreate.catalogue import products as catalogue
from cocreate.config import Config
from cocreate.designs.lifecycle import state_label
from cocreate.designs.models import Design, DesignState
from cocreate.voting import counters, integrity
from cocreate.voting.models import Vote

#: (catalogue product key, size key) of an "I'd buy it".
BuyChoice = tuple[str, str]

SCORES = range(1, 6)


class VoteRefused(Exception):
    """The vote is not taken; `str()` is the message for the voter."""


class InvalidVote(VoteRefused):
    """The input is wrong (a score outside 1–5, a size the design is not offered in)."""


class NotAllowedToVote(VoteRefused):
    """This member may not vote on this design (their own, or their email is unconfirmed)."""


class VotingClosed(VoteRefused):
    """The design does not take votes: not in voting, or its window has ended."""


def check_voter(design: Design, voter: User) -> None:
    if voter.id == design.designer_id:
        raise NotAllowedToVote(_("You cannot vote on your own design."))
    if not voter.is_verified:
        raise NotAllowedToVote(_("Please confirm your email address before voting."))


def check_open(design: Design, now: datetime) -> None:
    """The window ends at `voting_ends_at` exactly: a vote at that instant is refused, even
    if the close job has not run yet."""
    if design.state is not DesignState.VOTING:
        raise VotingClosed(
            _("This design is not open to votes (%(state)s).", state=state_label(design.state))
        )
    if design.voting_ends_at is None or design.voting_ends_at <= now:
        raise VotingClosed(_("Voting on this design has ended."))


def check_score(score: object) -> int:
    # bool is an int to Python; True is no score.
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
        raise InvalidVote(_("Choose a score from 1 to 5."))
    return score


def check_choice(design: Design, choice: BuyChoice | None) -> BuyChoice | None:
    """A size of one of the catalogue products this design is offered on, or None."""
    if choice is None:
        return None
    product, size = choice
    if product not in design.product_set or not catalogue.is_product(product):
        raise InvalidVote(_("Choose a size of a product this design is offered on."))
    if size not in {s.key for s in catalogue.get(product).sizes}:
        raise InvalidVote(_("Choose a size of a product this design is offered on."))
    return choice


# Built once, like the counters' statements: the member's vote on a design, and the same
# locked for a change.
_FIND = select(Vote).where(
    Vote.design_id == bindparam("design_id"), Vote.voter_id == bindparam("voter_id")
)
# Two changes by one member at once (a double click) must not both start from the same old
# vote: the second waits here, then reads the first one's result.
_FIND_LOCKED = _FIND.with_for_update().execution_options(populate_existing=True)


def find_vote(session: Session, design_id: int, voter_id: int, *, lock: bool) -> Vote | None:
    keys = {"design_id": design_id, "voter_id": voter_id}
    if lock:
        return session.scalars(_FIND_LOCKED, keys).one_or_none()
    return session.scalars(_FIND, keys).one_or_none()


def cast_vote(
    session: Session,
    design: Design,
    voter: User,
    *,
    score: int,
    buy_choice: BuyChoice | None,
    ip_hash: str,
    now: datetime,
    settings: Config,
) -> Vote:
    """Record `voter`'s vote on `design`, or change it; raises a VoteRefused with a message."""
    check_voter(design, voter)
    check_open(design, now)
    score = check_score(score)
    choice = check_choice(design, buy_choice)
    product, size = choice or ("", "")
    vote = find_vote(session, design.id, voter.id, lock=True)
    before = counters.NONE
    if vote is None:
        vote = _insert(session, design, voter, score, product, size, ip_hash, now)
        if vote is None:
            # The member's first vote arrived twice at once and the other request inserted it:
            # the unique constraint stopped ours, so this one becomes a change of that vote.
            vote = find_vote(session, design.id, voter.id, lock=True)
            assert vote is not None  # the constraint just said it exists
        else:
            return _counted(session, design, vote, before, now, settings)
    before = counters.effect_of(vote)
    wanted = (score, choice is not None, product, size)
    if (vote.score, vote.buy, vote.product, vote.size) == wanted:
        return vote  # the same vote again: nothing changes, not even its time
    vote.score, vote.buy, vote.product, vote.size = wanted
    vote.ip_hash = ip_hash
    vote.updated_at = now
    return _counted(session, design, vote, before, now, settings)


#: The first vote's INSERT, per dialect (both have ON CONFLICT DO NOTHING and RETURNING); its
#: values are bound at execution.
_VOTES = typing.cast(Table, Vote.__table__)
_ONE_PER_MEMBER = [Vote.design_id, Vote.voter_id]
_INSERTS = {
    "postgresql": postgresql.insert(_VOTES)
    .on_conflict_do_nothing(index_elements=_ONE_PER_MEMBER)
    .returning(Vote.id),
    "sqlite": sqlite.insert(_VOTES)
    .on_conflict_do_nothing(index_elements=_ONE_PER_MEMBER)
    .returning(Vote.id),
}


def _insert(
    session: Session,
    design: Design,
    voter: User,
    score: int,
    product: str,
    size: str,
    ip_hash: str,
    now: datetime,
) -> Vote | None:
    """Insert the member's first vote, or return None if the unique (design, voter) constraint
    says another request inserted it since our look-up.

    One statement, `INSERT … ON CONFLICT DO NOTHING RETURNING id` (SQLite and PostgreSQL
    both have it): no SAVEPOINT around the insert, and no ORM flush for one row. On
    PostgreSQL a conflicting insert not yet committed makes ours wait for it, as the
    constraint would. The row's values are all known here, so the Vote joins the session as
    loaded from the database, with nothing left to flush."""
    values = {
        "design_id": design.id,
        "voter_id": voter.id,
        "score": score,
        "buy": bool(product),
        "product": product,
        "size": size,
        "ip_hash": ip_hash,
        "created_at": now,
        "updated_at": now,
        "counted": True,
        "discount_category": None,
        "discounted_at": None,
        "discounted_by_id": None,
    }
    statement = _INSERTS[session.get_bind().dialect.name]
    vote_id = session.scalar(statement, values)
    if vote_id is None:
        return None
    vote = Vote(id=vote_id, **values)
    make_transient_to_detached(vote)
    session.add(vote)
    return vote


def _counted(
    session: Session,
    design: Design,
    vote: Vote,
    before: counters.Effect,
    now: datetime,
    settings: Config,
) -> Vote:
    session.flush()
    totals = counters.apply(
        session,
        design.id,
        before=before,
        after=counters.effect_of(vote),
        prior_weight=settings.VOTING_PRIOR_WEIGHT,
    )
    # The UPDATE ran behind the ORM: the design takes the counters it returned (no re-read).
    if totals is not None:
        totals.set_on(design)
    integrity.assess(session, vote, now=now)
    return vote
