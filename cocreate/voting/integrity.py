"""Vote integrity: fraud signals on each vote, flags for staff, discounting and restoring.

`assess()` runs after every new or changed vote, inside the vote's transaction, so it must stay
cheap: each signal reads at most SCAN_LIMIT of the most recent votes of a short time window
through an index (the design's recent votes, the address's recent votes), or the voter's own
counted votes; never the whole table.

Only the assessed vote is flagged, with how many accounts or votes made the pattern. Flagging
the earlier votes of the pattern too would write flags for votes other transactions are
assessing at the same moment: those transactions would wait on each other's flags while
holding their designs' counter rows, which is a deadlock. The first votes of a pattern stay
unflagged; the flag says how big the pattern was, and every later vote of it is flagged.

A flag is only a question for staff. Counters change when staff discount a vote
(`discount_vote`) or restore it (`restore_vote`), through the same SQL arithmetic as a vote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, distinct, func, select, update
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core.db import UTCDateTime
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
    "SCAN_LIMIT",
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
TOP_SCORE = 5

#: How far back the design's recent votes are read: the wider of its two windows.
DESIGN_LOOKBACK = max(NEW_ACCOUNT_WINDOW, FIVE_STAR_WINDOW)
#: At most this many of a window's most recent votes are read, so a busy design or address
#: costs each vote the same. A pattern is then counted among its latest 100 votes: five new
#: accounts hidden among hundreds of votes an hour are no burst for that design anyway.
SCAN_LIMIT = 100


@dataclass(frozen=True)
class Finding:
    """A signal the vote matched, and the facts staff are shown."""

    signal: VoteSignal
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
    fired = [finding for finding in findings if finding is not None]
    if fired:
        _flag(session, vote, fired, now)


# The signals' queries, built once (SQLAlchemy reuses their compiled SQL); the address, the
# design, the voter and the window's start are bound when a vote is assessed.
_since = bindparam("since", type_=UTCDateTime())
_address_votes = (
    select(Vote.voter_id)
    .where(Vote.ip_hash == bindparam("ip_hash"), Vote.updated_at >= _since)
    .order_by(Vote.updated_at.desc())
    .limit(SCAN_LIMIT)
    .subquery()
)
# The database counts the accounts: one number comes back, not up to SCAN_LIMIT rows.
_ADDRESS_ACCOUNTS = select(func.count(distinct(_address_votes.c.voter_id)))
_DESIGN_RECENT = (
    select(Vote.voter_id, Vote.score, Vote.updated_at, User.created_at)
    .join(User, User.id == Vote.voter_id)
    .where(Vote.design_id == bindparam("design_id"), Vote.updated_at >= _since)
    .order_by(Vote.updated_at.desc())
    .limit(SCAN_LIMIT)
)
_voter_counted = (
    select(Vote.id).join(Design).where(Vote.voter_id == bindparam("voter_id"), Vote.counted)
)
_designer = select(Design.designer_id).where(Design.id == bindparam("design_id"))
_OTHER_DESIGNER = select(
    _voter_counted.where(Design.designer_id != _designer.scalar_subquery()).exists()
)
_VOTER_COUNTED = select(func.count()).select_from(_voter_counted.subquery())


def _shared_address(session: Session, vote: Vote, now: datetime) -> Finding | None:
    if not vote.ip_hash:
        return None  # no address known (a vote made outside a request)
    accounts = session.execute(
        _ADDRESS_ACCOUNTS, {"ip_hash": vote.ip_hash, "since": now - SHARED_ADDRESS_WINDOW}
    ).scalar_one()
    if accounts < SHARED_ADDRESS_ACCOUNTS:
        return None
    return Finding(VoteSignal.SHARED_ADDRESS, accounts, SHARED_ADDRESS_WINDOW)


def _design_bursts(session: Session, vote: Vote, now: datetime) -> list[Finding | None]:
    """New-account and 5-star bursts both read the design's recent votes: one query. The
    vote is flagged only if it is itself part of the burst (one vote per voter and design,
    so its voter stands for it).

    So when the voter's account is not new and the score is not 5, neither burst can flag
    this vote and the query is skipped (most votes); when only the 5-star burst can, the ten
    minutes of its window are read rather than the hour. Within the window the same votes
    count: the latest SCAN_LIMIT of the hour, cut to its last ten minutes, are the latest
    SCAN_LIMIT of those ten minutes."""
    # The voter is the request's member, already in the session: no query.
    voter = session.get(User, vote.voter_id)
    new_account = voter is not None and voter.created_at >= now - NEW_ACCOUNT_AGE
    if not new_account and vote.score != TOP_SCORE:
        return [None, None]
    lookback = DESIGN_LOOKBACK if new_account else FIVE_STAR_WINDOW
    rows = session.execute(
        _DESIGN_RECENT, {"design_id": vote.design_id, "since": now - lookback}
    ).all()
    # Account age is measured at the assessment: within the hour's window the difference
    # from measuring it at each vote is at most that hour.
    new_accounts = {
        row.voter_id
        for row in rows
        if row.updated_at >= now - NEW_ACCOUNT_WINDOW and row.created_at >= now - NEW_ACCOUNT_AGE
    }
    fives = {
        row.voter_id
        for row in rows
        if row.updated_at >= now - FIVE_STAR_WINDOW and row.score == TOP_SCORE
    }
    return [
        _burst(
            vote, VoteSignal.NEW_ACCOUNT_BURST, new_accounts, NEW_ACCOUNT_VOTES, NEW_ACCOUNT_WINDOW
        ),
        _burst(vote, VoteSignal.FIVE_STAR_BURST, fives, FIVE_STAR_VOTES, FIVE_STAR_WINDOW),
    ]


def _burst(
    vote: Vote, signal: VoteSignal, voters: set[int], threshold: int, window: timedelta
) -> Finding | None:
    if len(voters) < threshold or vote.voter_id not in voters:
        return None
    return Finding(signal, len(voters), window)


def _single_designer(session: Session, vote: Vote) -> Finding | None:
    voter = {"voter_id": vote.voter_id}
    # Most voters vote for several designers: one other designer found ends the check early.
    if session.execute(_OTHER_DESIGNER, {**voter, "design_id": vote.design_id}).scalar_one():
        return None
    votes = session.execute(_VOTER_COUNTED, voter).scalar_one()
    if votes < SINGLE_DESIGNER_VOTES:
        return None
    return Finding(VoteSignal.SINGLE_DESIGNER, votes)


def _flag(session: Session, vote: Vote, findings: list[Finding], now: datetime) -> None:
    # A vote already flagged for a signal keeps that flag, open or as staff resolved it: a
    # changed vote assessed again adds nothing. Only this vote's own transaction flags it (the
    # vote service holds its row), so no other transaction races for these rows.
    known = set(session.scalars(select(VoteFlag.signal).where(VoteFlag.vote_id == vote.id)))
    for finding in findings:
        if finding.signal not in known:
            session.add(
                VoteFlag(
                    vote_id=vote.id,
                    signal=finding.signal,
                    count=finding.count,
                    window_minutes=finding.window // timedelta(minutes=1),
                    created_at=now,
                )
            )
    session.flush()


def _staff(actor: User) -> None:
    if not actor.is_staff:
        raise NotAllowed


def _lock(session: Session, vote: Vote) -> None:
    # Of two staff deciding at once (or staff and the voter changing the vote), the second
    # waits here and then reads what the first committed (populate_existing overwrites what
    # this session held).
    session.execute(
        select(Vote)
        .where(Vote.id == vote.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _resolve(session: Session, vote: Vote, state: FlagState, staff: User, now: datetime) -> int:
    """Give every flag of the vote the outcome `state`; returns how many changed."""
    result = session.execute(
        update(VoteFlag)
        .where(VoteFlag.vote_id == vote.id, VoteFlag.state != state)
        .values(state=state, resolved_by_id=staff.id, resolved_at=now)
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
