"""Vote integrity: fraud signals on each vote, flags for staff, discounting and restoring.

`assess()` runs after every new or changed vote, inside the vote's transaction, so it must stay
cheap: each signal reads a short time window through an index (the design's recent votes, the
address's recent votes) or the voter's own counted votes, never the whole table. A signal that
fires flags every counted vote of the pattern, not only the last one: the first four accounts
of a five-account address are as suspect as the fifth, and staff judge them together.

A flag is only a question for staff. Counters change when staff discount a vote
(`discount_vote`) or restore it (`restore_vote`), through the same SQL arithmetic as a vote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core.lifecycle import NotAllowed
from cocreate.designs.models import Design
from cocreate.voting import counters
from cocreate.voting.flag_models import FlagState, ModerationAction, VoteFlag, VoteModeration
from cocreate.voting.models import Vote, VoteSignal

__all__ = [
    "FIVE_STAR_VOTES",
    "FIVE_STAR_WINDOW",
    "NEW_ACCOUNT_AGE",
    "NEW_ACCOUNT_VOTES",
    "NEW_ACCOUNT_WINDOW",
    "SHARED_ADDRESS_ACCOUNTS",
    "SHARED_ADDRESS_WINDOW",
    "SINGLE_DESIGNER_VOTES",
    "NotAllowed",
    "assess",
    "discount_vote",
    "restore_vote",
]

#: Many accounts from one address: a household or an office shares one address behind its
#: router, so two to four accounts voting from it in a day is ordinary; five distinct accounts
#: in 24 hours is rare enough to be worth a look. The address hash rotates by period
#: (VOTING_ADDRESS_HASH_DAYS), far longer than this window.
SHARED_ADDRESS_ACCOUNTS = 5
SHARED_ADDRESS_WINDOW = timedelta(hours=24)

#: Bursts of new accounts on one design: accounts made to stuff a ballot vote within minutes of
#: signing up, all for the same design. Five votes within an hour from accounts under two days
#: old, on one design, is what a designer rallying freshly made accounts looks like; genuine
#: newcomers spread over many designs and days.
NEW_ACCOUNT_VOTES = 5
NEW_ACCOUNT_WINDOW = timedelta(hours=1)
NEW_ACCOUNT_AGE = timedelta(hours=48)

#: Accounts that only vote for one designer: five counted votes is enough history to say
#: "only ever"; with fewer, a newcomer who found one designer they like is normal.
SINGLE_DESIGNER_VOTES = 5

#: 5-star bursts: six top scores on one design within ten minutes. A design's early wave of
#: honest votes mixes scores and spreads over hours; one more than the other signals' five
#: leaves room for a designer's followers arriving together when a design opens.
FIVE_STAR_VOTES = 6
FIVE_STAR_WINDOW = timedelta(minutes=10)

#: How far back the design's recent votes are read: the wider of its two windows.
DESIGN_LOOKBACK = max(NEW_ACCOUNT_WINDOW, FIVE_STAR_WINDOW)


@dataclass(frozen=True)
class Finding:
    """A signal that fired: the counted votes of the pattern, and the facts staff are shown."""

    signal: VoteSignal
    vote_ids: list[int]
    count: int
    window: timedelta = timedelta(0)


def assess(session: Session, vote: Vote, *, now: datetime) -> None:
    """Called by the vote service after each new or changed vote (flushed), in its
    transaction: records a flag for staff when the vote matches a fraud signal."""
    if not vote.counted:
        return  # staff already took it out: there is nothing left to ask them
    findings = [
        _shared_address(session, vote, now),
        *_design_bursts(session, vote, now),
        _single_designer(session, vote),
    ]
    for finding in findings:
        if finding is not None:
            _flag(session, finding, now)


def _shared_address(session: Session, vote: Vote, now: datetime) -> Finding | None:
    if not vote.ip_hash:
        return None  # no address known (a vote made outside a request)
    rows = session.execute(
        select(Vote.id, Vote.voter_id, Vote.counted).where(
            Vote.ip_hash == vote.ip_hash, Vote.updated_at >= now - SHARED_ADDRESS_WINDOW
        )
    ).all()
    accounts = len({row.voter_id for row in rows})
    if accounts < SHARED_ADDRESS_ACCOUNTS:
        return None
    ids = [row.id for row in rows if row.counted]
    return Finding(VoteSignal.SHARED_ADDRESS, ids, accounts, SHARED_ADDRESS_WINDOW)


def _design_bursts(session: Session, vote: Vote, now: datetime) -> list[Finding | None]:
    """New-account and 5-star bursts both read the design's recent votes: one query."""
    rows = session.execute(
        select(Vote.id, Vote.counted, Vote.score, Vote.updated_at, User.created_at)
        .join(User, User.id == Vote.voter_id)
        .where(Vote.design_id == vote.design_id, Vote.updated_at >= now - DESIGN_LOOKBACK)
    ).all()
    # Account age is measured at the assessment: within the hour's window the difference
    # from measuring it at each vote is at most that hour.
    new_accounts = [
        row
        for row in rows
        if row.updated_at >= now - NEW_ACCOUNT_WINDOW and row.created_at >= now - NEW_ACCOUNT_AGE
    ]
    fives = [row for row in rows if row.updated_at >= now - FIVE_STAR_WINDOW and row.score == 5]
    return [
        _burst(VoteSignal.NEW_ACCOUNT_BURST, new_accounts, NEW_ACCOUNT_VOTES, NEW_ACCOUNT_WINDOW),
        _burst(VoteSignal.FIVE_STAR_BURST, fives, FIVE_STAR_VOTES, FIVE_STAR_WINDOW),
    ]


def _burst(
    signal: VoteSignal, rows: Sequence[Any], threshold: int, window: timedelta
) -> Finding | None:
    if len(rows) < threshold:
        return None
    return Finding(signal, [row.id for row in rows if row.counted], len(rows), window)


def _single_designer(session: Session, vote: Vote) -> Finding | None:
    designer = select(Design.designer_id).where(Design.id == vote.design_id).scalar_subquery()
    counted = select(Vote.id).join(Design, Design.id == Vote.design_id)
    counted = counted.where(Vote.voter_id == vote.voter_id, Vote.counted)
    # Most voters vote for several designers: one other designer found ends the check early.
    if session.scalar(counted.where(Design.designer_id != designer).limit(1)) is not None:
        return None
    ids = list(session.scalars(counted))
    if len(ids) < SINGLE_DESIGNER_VOTES:
        return None
    return Finding(VoteSignal.SINGLE_DESIGNER, ids, len(ids))


def _flag(session: Session, finding: Finding, now: datetime) -> None:
    if not finding.vote_ids:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    window_minutes = int(finding.window.total_seconds()) // 60
    rows = [
        {
            "vote_id": vote_id,
            "signal": finding.signal,
            "count": finding.count,
            "window_minutes": window_minutes,
            "created_at": now,
            "state": FlagState.OPEN,
        }
        # Sorted: two transactions flagging overlapping votes take their locks in one order.
        for vote_id in sorted(finding.vote_ids)
    ]
    # A vote already flagged for this signal keeps its flag (open, or as staff resolved it);
    # DO NOTHING also settles two votes of one pattern assessed at once.
    session.execute(
        insert(VoteFlag).values(rows).on_conflict_do_nothing(index_elements=["vote_id", "signal"])
    )


def _staff(actor: User) -> None:
    if not actor.is_staff:
        raise NotAllowed


def _lock(session: Session, vote: Vote) -> None:
    # Of two staff deciding at once (or staff and the voter changing the vote), the second
    # waits here and then reads what the first committed.
    session.execute(select(Vote.id).where(Vote.id == vote.id).with_for_update())
    session.refresh(vote)


def _resolve(session: Session, vote: Vote, state: FlagState, staff: User, now: datetime) -> int:
    """Give every flag of the vote the outcome `state`; returns how many changed."""
    result = session.execute(
        update(VoteFlag)
        .where(VoteFlag.vote_id == vote.id, VoteFlag.state != state)
        .values(state=state, resolved_by_id=staff.id, resolved_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _audit(
    session: Session,
    vote: Vote,
    staff: User,
    action: ModerationAction,
    category: VoteSignal | None,
    now: datetime,
) -> None:
    session.add(
        VoteModeration(
            vote_id=vote.id, actor_id=staff.id, action=action, category=category, created_at=now
        )
    )
    session.flush()


def _recount(session: Session, vote: Vote, before: counters.Effect) -> None:
    session.flush()
    counters.apply(
        session,
        vote.design_id,
        before,
        counters.effect_of(vote),
        prior_weight=settings().VOTING_PRIOR_WEIGHT,
    )


def discount_vote(
    session: Session, vote: Vote, staff: User, category: VoteSignal, now: datetime
) -> ModerationAction | None:
    """Take a counted vote out of its design's counters and rank, for `category`; its flags
    are resolved as discounted. Returns None, changing nothing, if it was already discounted."""
    _staff(staff)
    _lock(session, vote)
    if not vote.counted:
        return None
    before = counters.effect_of(vote)
    vote.counted = False
    vote.discount_category = category
    vote.discounted_at = now
    vote.discounted_by_id = staff.id
    _recount(session, vote, before)
    _resolve(session, vote, FlagState.DISCOUNTED, staff, now)
    _audit(session, vote, staff, ModerationAction.DISCOUNT, category, now)
    return ModerationAction.DISCOUNT


def restore_vote(
    session: Session, vote: Vote, staff: User, now: datetime
) -> ModerationAction | None:
    """Count a discounted vote again (RESTORE), or keep a counted one (DISMISS): either way
    its flags are dismissed. Returns None, changing nothing, if it counts and has no flag
    left to dismiss."""
    _staff(staff)
    _lock(session, vote)
    if vote.counted:
        if not _resolve(session, vote, FlagState.DISMISSED, staff, now):
            return None
        _audit(session, vote, staff, ModerationAction.DISMISS, None, now)
        return ModerationAction.DISMISS
    before = counters.effect_of(vote)
    vote.counted = True
    vote.discount_category = None
    vote.discounted_at = None
    vote.discounted_by_id = None
    _recount(session, vote, before)
    _resolve(session, vote, FlagState.DISMISSED, staff, now)
    _audit(session, vote, staff, ModerationAction.RESTORE, None, now)
    return ModerationAction.RESTORE
