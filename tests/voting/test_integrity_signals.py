"""The four fraud signals, each at its threshold and at the edges of its window, and an honest
pattern that raises none."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.voting import integrity
from cocreate.voting.flag_models import FlagState, VoteFlag
from cocreate.voting.models import Vote, VoteSignal
from tests.voting.helpers import bound_instant, statements
from tests.voting.helpers_integrity import (
    ADDRESS,
    OTHER_ADDRESS,
    T0,
    cast,
    design,
    flags,
    member,
)

OPEN = FlagState.OPEN
SHARED = VoteSignal.SHARED_ADDRESS
NEW = VoteSignal.NEW_ACCOUNT_BURST
SINGLE = VoteSignal.SINGLE_DESIGNER
FIVES = VoteSignal.FIVE_STAR_BURST


# Many accounts from one address ----------------------------------------------------------


def test_four_accounts_from_one_address_raise_nothing(db_session: Session) -> None:
    for hour in range(4):
        cast(db_session, design(), member(), at=T0 + timedelta(hours=hour), ip_hash=ADDRESS)
    assert flags(db_session) == []


def test_the_fifth_account_from_one_address_is_flagged(db_session: Session) -> None:
    votes = [
        cast(db_session, design(), member(), at=T0 + timedelta(hours=hour), ip_hash=ADDRESS)
        for hour in range(5)
    ]
    assert flags(db_session) == [(votes[4].id, SHARED, 5, 1440, OPEN)]
    created = set(db_session.scalars(select(VoteFlag.created_at)))
    assert created == {T0 + timedelta(hours=4)}
    sixth = cast(db_session, design(), member(), at=T0 + timedelta(hours=5), ip_hash=ADDRESS)
    assert flags(db_session)[1:] == [(sixth.id, SHARED, 6, 1440, OPEN)]


def test_the_address_window_includes_its_first_instant(db_session: Session) -> None:
    cast(db_session, design(), member(), at=T0, ip_hash=ADDRESS)
    for minute in range(1, 4):
        cast(db_session, design(), member(), at=T0 + timedelta(minutes=minute), ip_hash=ADDRESS)
    assert flags(db_session) == []
    last = cast(db_session, design(), member(), at=T0 + timedelta(hours=24), ip_hash=ADDRESS)
    assert flags(db_session) == [(last.id, SHARED, 5, 1440, OPEN)]


def test_a_vote_a_second_older_than_the_address_window_is_out_of_it(db_session: Session) -> None:
    cast(db_session, design(), member(), at=T0, ip_hash=ADDRESS)
    for minute in range(1, 4):
        cast(db_session, design(), member(), at=T0 + timedelta(minutes=minute), ip_hash=ADDRESS)
    at = T0 + timedelta(hours=24, seconds=1)
    cast(db_session, design(), member(), at=at, ip_hash=ADDRESS)
    assert flags(db_session) == []


def test_one_account_voting_often_from_its_address_is_one_account(db_session: Session) -> None:
    voter = member()
    for minute in range(6):
        cast(db_session, design(), voter, at=T0 + timedelta(minutes=minute), ip_hash=ADDRESS)
    others = [member() for _ in range(3)]
    for voter in others:
        cast(db_session, design(), voter, ip_hash=ADDRESS)
    assert flags(db_session) == []


def test_accounts_from_different_addresses_or_none_are_not_grouped(db_session: Session) -> None:
    for index in range(6):
        address = ADDRESS if index < 3 else OTHER_ADDRESS
        cast(db_session, design(), member(), ip_hash=address)
    for _ in range(6):
        cast(db_session, design(), member(), ip_hash="")
    assert flags(db_session) == []


# Bursts of new accounts on one design -----------------------------------------------------


def _new(age: timedelta = timedelta(hours=1), at: timedelta = timedelta(0)) -> User:
    return member(created_at=T0 + at - age)


def test_four_new_accounts_on_one_design_raise_nothing(db_session: Session) -> None:
    target = design()
    for minute in range(4):
        at = timedelta(minutes=minute)
        cast(db_session, target, _new(at=at), 3, at=T0 + at)
    assert flags(db_session) == []


def test_five_new_accounts_on_one_design_within_an_hour_are_flagged(db_session: Session) -> None:
    target = design()
    votes = []
    for minute in (0, 10, 20, 30):
        at = timedelta(minutes=minute)
        votes.append(cast(db_session, target, _new(at=at), 3, at=T0 + at))
    # The fifth account is exactly 48 hours old when it votes, an hour after the first vote.
    at = timedelta(hours=1)
    last = member(created_at=T0 + at - timedelta(hours=48))
    votes.append(cast(db_session, target, last, 3, at=T0 + at))
    assert flags(db_session) == [(votes[4].id, NEW, 5, 60, OPEN)]


def test_an_established_account_voting_during_a_burst_is_not_flagged(
    db_session: Session,
) -> None:
    target = design()
    for minute in range(5):
        at = timedelta(minutes=minute)
        last = cast(db_session, target, _new(at=at), 3, at=T0 + at)
    established = member(created_at=T0 - timedelta(hours=48, seconds=1))
    cast(db_session, target, established, 3, at=T0 + timedelta(minutes=6))
    assert flags(db_session) == [(last.id, NEW, 5, 60, OPEN)]


def test_an_account_a_second_over_48_hours_is_not_new(db_session: Session) -> None:
    target = design()
    for minute in (0, 10, 20, 30):
        at = timedelta(minutes=minute)
        cast(db_session, target, _new(at=at), 3, at=T0 + at)
    at = timedelta(minutes=40)
    older = member(created_at=T0 + at - timedelta(hours=48, seconds=1))
    cast(db_session, target, older, 3, at=T0 + at)
    assert flags(db_session) == []


def test_a_new_account_vote_a_second_before_the_hour_is_out_of_the_burst(
    db_session: Session,
) -> None:
    target = design()
    cast(db_session, target, _new(), 3, at=T0)
    for minute in (10, 20, 30):
        at = timedelta(minutes=minute)
        cast(db_session, target, _new(at=at), 3, at=T0 + at)
    at = timedelta(hours=1, seconds=1)
    cast(db_session, target, _new(at=at), 3, at=T0 + at)
    assert flags(db_session) == []


def test_established_accounts_voting_together_are_no_new_account_burst(
    db_session: Session,
) -> None:
    target = design()
    for minute in range(5):
        cast(db_session, target, member(), 3, at=T0 + timedelta(minutes=minute))
    assert flags(db_session) == []


def test_new_accounts_spread_over_designs_are_no_burst(db_session: Session) -> None:
    for minute in range(5):
        at = timedelta(minutes=minute)
        cast(db_session, design(), _new(at=at), 3, at=T0 + at)
    assert flags(db_session) == []


# Accounts that only vote for one designer --------------------------------------------------


def test_four_votes_for_one_designer_raise_nothing(db_session: Session) -> None:
    designer, voter = member(), member()
    for day in range(4):
        cast(db_session, design(designer), voter, 4, at=T0 + timedelta(days=day))
    assert flags(db_session) == []


def test_five_counted_votes_all_for_one_designer_are_flagged(db_session: Session) -> None:
    design()  # another designer's design, which the voter never votes for
    designer, voter = member(), member()
    votes = [
        cast(db_session, design(designer), voter, 4, at=T0 + timedelta(days=day))
        for day in range(6)
    ]
    assert flags(db_session) == [
        (votes[4].id, SINGLE, 5, 0, OPEN),
        (votes[5].id, SINGLE, 6, 0, OPEN),
    ]


def test_one_vote_for_another_designer_clears_the_voter(db_session: Session) -> None:
    designer, voter = member(), member()
    cast(db_session, design(), voter, 4)
    for day in range(1, 6):
        cast(db_session, design(designer), voter, 4, at=T0 + timedelta(days=day))
    assert flags(db_session) == []


def test_only_counted_votes_make_the_voters_history(db_session: Session, request_ctx: None) -> None:
    designer, voter, staff = member(), member(), member(role="staff")
    # A discounted vote for another designer does not clear the voter...
    elsewhere = cast(db_session, design(), voter, 4, assess=False)
    integrity.discount_vote(db_session, elsewhere, staff, VoteSignal.OTHER, T0)
    votes = [
        cast(db_session, design(designer), voter, 4, at=T0 + timedelta(days=day))
        for day in range(1, 5)
    ]
    # ...and a discounted vote for the designer does not add to the five.
    integrity.discount_vote(db_session, votes[0], staff, VoteSignal.OTHER, T0)
    cast(db_session, design(designer), voter, 4, at=T0 + timedelta(days=5))
    assert flags(db_session) == []
    last = cast(db_session, design(designer), voter, 4, at=T0 + timedelta(days=6))
    assert flags(db_session) == [(last.id, SINGLE, 5, 0, OPEN)]


# 5-star bursts ------------------------------------------------------------------------------


def test_five_fives_in_ten_minutes_raise_nothing(db_session: Session) -> None:
    target = design()
    for minute in range(5):
        cast(db_session, target, member(), 5, at=T0 + timedelta(minutes=minute))
    assert flags(db_session) == []


def test_six_fives_within_ten_minutes_are_flagged(db_session: Session) -> None:
    target = design()
    votes = [
        cast(db_session, target, member(), 5, at=T0 + timedelta(minutes=minute))
        for minute in (0, 2, 4, 6, 8, 10)
    ]
    assert flags(db_session) == [(votes[5].id, FIVES, 6, 10, OPEN)]


def test_a_lower_score_during_a_five_star_burst_is_not_flagged(db_session: Session) -> None:
    target = design()
    for minute in range(6):
        last = cast(db_session, target, member(), 5, at=T0 + timedelta(minutes=minute))
    cast(db_session, target, member(), 4, at=T0 + timedelta(minutes=7))
    assert flags(db_session) == [(last.id, FIVES, 6, 10, OPEN)]


def test_a_five_a_second_before_the_ten_minutes_is_out_of_the_burst(db_session: Session) -> None:
    target = design()
    cast(db_session, target, member(), 5, at=T0)
    for minute in (2, 4, 6, 8):
        cast(db_session, target, member(), 5, at=T0 + timedelta(minutes=minute))
    cast(db_session, target, member(), 5, at=T0 + timedelta(minutes=10, seconds=1))
    assert flags(db_session) == []


def test_other_scores_break_a_five_star_burst(db_session: Session) -> None:
    target = design()
    for minute in range(5):
        cast(db_session, target, member(), 5, at=T0 + timedelta(minutes=minute))
    cast(db_session, target, member(), 4, at=T0 + timedelta(minutes=6))
    assert flags(db_session) == []


# Honest voting, re-assessment, discounted votes -----------------------------------------------


def test_an_honest_week_of_voting_raises_no_flag(db_session: Session) -> None:
    designers = [member() for _ in range(3)]
    designs = [design(designers[index % 3]) for index in range(6)]
    voters = [member() for _ in range(8)]
    # Each voter votes on every design from their own address, hours apart, scores mixed.
    for index, voter in enumerate(voters):
        for number, target in enumerate(designs):
            at = T0 + timedelta(hours=index * 7 + number * 3)
            cast(
                db_session, target, voter, 1 + (index + number) % 5, at=at, ip_hash=f"{index:064x}"
            )
    assert flags(db_session) == []


def test_assessing_a_changed_vote_again_adds_no_flag(db_session: Session) -> None:
    votes = [cast(db_session, design(), member(), ip_hash=ADDRESS) for _ in range(5)]
    later = T0 + timedelta(minutes=5)
    votes[4].score, votes[4].updated_at = 2, later
    db_session.flush()
    integrity.assess(db_session, votes[4], now=later)
    integrity.assess(db_session, votes[4], now=later)
    assert flags(db_session) == [(votes[4].id, SHARED, 5, 1440, OPEN)]


def test_a_changed_vote_is_judged_by_the_pattern_as_it_is_now(db_session: Session) -> None:
    votes = [cast(db_session, design(), member(), ip_hash=ADDRESS) for _ in range(5)]
    later = T0 + timedelta(minutes=5)
    votes[1].score, votes[1].updated_at = 2, later
    db_session.flush()
    integrity.assess(db_session, votes[1], now=later)
    assert flags(db_session) == [
        (votes[1].id, SHARED, 5, 1440, OPEN),
        (votes[4].id, SHARED, 5, 1440, OPEN),
    ]


def test_a_flag_staff_dismissed_stays_dismissed(db_session: Session, request_ctx: None) -> None:
    staff = member(role="staff")
    votes = [cast(db_session, design(), member(), ip_hash=ADDRESS) for _ in range(5)]
    integrity.restore_vote(db_session, votes[4], staff, T0)
    integrity.assess(db_session, votes[4], now=T0 + timedelta(minutes=1))
    sixth = cast(db_session, design(), member(), ip_hash=ADDRESS, at=T0 + timedelta(minutes=1))
    assert flags(db_session) == [
        (votes[4].id, SHARED, 5, 1440, FlagState.DISMISSED),
        (sixth.id, SHARED, 6, 1440, OPEN),
    ]


def test_a_discounted_vote_is_not_assessed(db_session: Session, request_ctx: None) -> None:
    staff = member(role="staff")
    for _ in range(4):
        cast(db_session, design(), member(), ip_hash=ADDRESS)
    fifth = cast(db_session, design(), member(), ip_hash=ADDRESS, assess=False)
    integrity.discount_vote(db_session, fifth, staff, VoteSignal.OTHER, T0)
    integrity.assess(db_session, fifth, now=T0)
    assert flags(db_session) == []


def test_a_discounted_vote_still_counts_in_a_pattern(
    db_session: Session, request_ctx: None
) -> None:
    staff = member(role="staff")
    first = cast(db_session, design(), member(), ip_hash=ADDRESS)
    integrity.discount_vote(db_session, first, staff, VoteSignal.OTHER, T0)
    votes = [cast(db_session, design(), member(), ip_hash=ADDRESS) for _ in range(4)]
    assert flags(db_session) == [(votes[3].id, SHARED, 5, 1440, OPEN)]


def test_one_vote_can_match_several_signals(db_session: Session) -> None:
    target = design()
    votes = [
        cast(db_session, target, member(created_at=T0), 5, at=T0 + timedelta(minutes=m))
        for m in range(6)
    ]
    assert flags(db_session) == [
        (votes[4].id, NEW, 5, 60, OPEN),
        (votes[5].id, FIVES, 6, 10, OPEN),
        (votes[5].id, NEW, 6, 60, OPEN),
    ]


# Each vote reads a bounded number of rows ------------------------------------------------------


@pytest.mark.parametrize(
    ("first_busy", "busy_votes", "flagged"), [(0, 96, True), (0, 97, False), (1, 96, True)]
)
def test_an_address_is_judged_on_its_latest_hundred_votes(
    db_session: Session, first_busy: int, busy_votes: int, flagged: bool
) -> None:
    assert integrity.SCAN_LIMIT == 100
    at = T0
    busy = member()

    def vote_from_address(voter: User) -> Vote:
        nonlocal at
        at += timedelta(seconds=1)
        return cast(db_session, design(), voter, at=at, ip_hash=ADDRESS)

    for _ in range(first_busy):
        vote_from_address(busy)
    for _ in range(3):
        vote_from_address(member())
    for _ in range(busy_votes):
        vote_from_address(busy)
    # The latest hundred votes: this one, the busy account's latest, and the first three
    # accounts' (96) or only two of them (97): five accounts, or four. The oldest votes are
    # the ones left out, whatever their number.
    last = vote_from_address(member())
    assert flags(db_session) == ([(last.id, SHARED, 5, 1440, OPEN)] if flagged else [])


@pytest.mark.parametrize(
    ("first_threes", "threes", "flagged"), [(0, 94, True), (0, 95, False), (1, 94, True)]
)
def test_a_design_is_judged_on_its_latest_hundred_votes(
    db_session: Session, first_threes: int, threes: int, flagged: bool
) -> None:
    target = design()
    at = T0
    for score in [3] * first_threes + [5] * 5 + [3] * threes:
        at += timedelta(seconds=1)
        cast(db_session, target, member(), score, at=at)
    # The latest hundred votes: this five, the threes after the fives, and the first five
    # fives (94) or only four of them (95).
    last = cast(db_session, target, member(), 5, at=at + timedelta(seconds=1))
    assert flags(db_session) == ([(last.id, FIVES, 6, 10, OPEN)] if flagged else [])


# What the design's bursts cost: its recent votes are read only when a burst could flag this
# vote, and only as far back as that burst's window ---------------------------------------------


def _design_reads(session: Session, voter: User, score: int) -> list[tuple[str, Any]]:
    vote = cast(session, design(), voter, score, assess=False)
    with statements(session.get_bind().engine) as seen:
        integrity.assess(session, vote, now=T0)
    return [(sql, parameters) for sql, parameters in seen if "JOIN users" in sql]


@pytest.mark.parametrize("score", [1, 4])
def test_an_established_account_scoring_below_five_reads_no_design_votes(
    db_session: Session, score: int
) -> None:
    # A second over 48 hours old: established.
    voter = member(created_at=T0 - timedelta(hours=48, seconds=1))
    assert _design_reads(db_session, voter, score) == []


def test_an_established_account_s_five_reads_the_last_ten_minutes(db_session: Session) -> None:
    [(_sql, parameters)] = _design_reads(db_session, member(), 5)
    assert bound_instant(parameters) == T0 - timedelta(minutes=10)


@pytest.mark.parametrize("score", [3, 5])
def test_a_new_account_s_vote_reads_the_last_hour(db_session: Session, score: int) -> None:
    # Exactly 48 hours old is still new.
    voter = member(created_at=T0 - timedelta(hours=48))
    [(_sql, parameters)] = _design_reads(db_session, voter, score)
    assert bound_instant(parameters) == T0 - timedelta(hours=1)
