"""Casting a vote through the service: every refusal, changes, buy intent by size, counters."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from cocreate.core.clock import TestClock
from cocreate.designs.models import Design, DesignState
from cocreate.voting import integrity, services
from cocreate.voting.models import Vote, VoteSignal
from tests.accounts.factories import StaffFactory, UserFactory
from tests.conftest import TEST_START
from tests.designs.test_gallery import count_queries
from tests.voting.helpers import (
    ENDS,
    cast,
    counters,
    fresh,
    from_rows,
    intents,
    intents_from_rows,
    open_design,
)

pytestmark = pytest.mark.usefixtures("request_ctx", "clock")


def _votes(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Vote)) or 0


def test_a_first_vote_is_stored_and_counted(db_session: Session) -> None:
    design = open_design()
    voter = UserFactory()
    vote = cast(db_session, design, voter, 4, ip_hash="b" * 64)
    assert (vote.design_id, vote.voter_id, vote.score, vote.buy) == (design.id, voter.id, 4, False)
    assert (vote.product, vote.size, vote.ip_hash, vote.counted) == ("", "", "b" * 64, True)
    assert vote.created_at == TEST_START and vote.updated_at == TEST_START
    assert counters(db_session, design.id) == (1, 4, 0)
    # The stored Bayesian rank, C = 20 and m = 3.0: (60 + 4) / 21.
    assert round(fresh(db_session, design).rank_score, 4) == 3.0476
    assert _votes(db_session) == 1


def test_counters_are_fresh_on_the_design_after_a_vote(db_session: Session) -> None:
    design = open_design()
    assert design.vote_count == 0  # loaded before the vote
    cast(db_session, design, UserFactory(), 5)
    assert (design.vote_count, design.score_sum, design.buy_intent_count) == (1, 5, 0)
    assert round(design.rank_score, 4) == round(65 / 21, 4)


def test_staff_may_vote_like_any_member(db_session: Session) -> None:
    design = open_design()
    cast(db_session, design, StaffFactory(), 2)
    assert counters(db_session, design.id) == (1, 2, 0)


# --- Refusals ----------------------------------------------------------------------------------


def test_own_design_is_refused(db_session: Session) -> None:
    design = open_design()
    with pytest.raises(services.NotAllowedToVote, match=r"^You cannot vote on your own design\.$"):
        cast(db_session, design, design.designer)
    assert _votes(db_session) == 0


def test_unverified_member_is_refused(db_session: Session) -> None:
    design = open_design()
    with pytest.raises(
        services.NotAllowedToVote, match=r"^Please confirm your email address before voting\.$"
    ):
        cast(db_session, design, UserFactory(email_verified_at=None))
    assert _votes(db_session) == 0


@pytest.mark.parametrize(
    ("state", "label"),
    [
        (DesignState.DRAFT, "draft"),
        (DesignState.SUBMITTED, "waiting for screening"),
        (DesignState.CLOSED, "voting closed"),
        (DesignState.APPROVED, "approved for production"),
        (DesignState.WITHDRAWN, "withdrawn"),
        (DesignState.REMOVED, "removed"),
    ],
)
def test_design_not_in_voting_is_refused(
    db_session: Session, state: DesignState, label: str
) -> None:
    design = open_design(state=state)
    with pytest.raises(services.VotingClosed) as refused:
        cast(db_session, design, UserFactory())
    assert str(refused.value) == f"This design is not open to votes ({label})."
    assert _votes(db_session) == 0
    assert counters(db_session, design.id) == (0, 0, 0)


def test_the_window_ends_at_its_exact_instant(db_session: Session) -> None:
    design = open_design()
    just_before = ENDS - timedelta(microseconds=1)
    cast(db_session, design, UserFactory(), 3, now=just_before)
    # voting_ends_at <= now: refused at the instant itself, before any close job ran.
    with pytest.raises(services.VotingClosed, match=r"^Voting on this design has ended\.$"):
        cast(db_session, design, UserFactory(), 3, now=ENDS)
    assert design.state is DesignState.VOTING
    assert counters(db_session, design.id) == (1, 3, 0)


def test_a_change_at_the_window_end_is_refused_and_the_vote_stays(db_session: Session) -> None:
    design = open_design()
    voter = UserFactory()
    cast(db_session, design, voter, 3)
    with pytest.raises(services.VotingClosed):
        cast(db_session, design, voter, 5, now=ENDS)
    assert db_session.scalars(select(Vote.score)).all() == [3]
    assert counters(db_session, design.id) == (1, 3, 0)


def test_a_design_without_window_is_refused(db_session: Session) -> None:
    design = open_design(voting_ends_at=None)
    with pytest.raises(services.VotingClosed, match=r"^Voting on this design has ended\.$"):
        cast(db_session, design, UserFactory())


@pytest.mark.parametrize("score", [0, 6, -1, True, "4", 4.0, None])
def test_score_outside_one_to_five_is_refused(db_session: Session, score: Any) -> None:
    design = open_design()
    with pytest.raises(services.InvalidVote, match=r"^Choose a score from 1 to 5\.$"):
        cast(db_session, design, UserFactory(), score)
    assert _votes(db_session) == 0


@pytest.mark.parametrize("score", [1, 5])
def test_scores_one_and_five_are_taken(db_session: Session, score: int) -> None:
    design = open_design()
    cast(db_session, design, UserFactory(), score)
    assert counters(db_session, design.id) == (1, score, 0)


@pytest.mark.parametrize(
    "choice",
    [
        ("tee", "XXXL"),  # not a catalogue size of the tee
        ("tee", "30x40"),  # a poster's size
        ("tee", ""),
        ("poster", "30x40"),  # a real size of a product this design is not offered on
        ("mug", "M"),  # not in the catalogue at all
        ("", ""),
    ],
)
def test_size_not_offered_is_refused(db_session: Session, choice: tuple[str, str]) -> None:
    design = open_design(products=("tee",))
    with pytest.raises(
        services.InvalidVote, match=r"^Choose a size of a product this design is offered on\.$"
    ):
        cast(db_session, design, UserFactory(), 4, choice)
    assert _votes(db_session) == 0


def test_a_product_the_catalogue_dropped_is_refused(db_session: Session) -> None:
    design = open_design(products=("tee", "mug"))
    with pytest.raises(services.InvalidVote):
        cast(db_session, design, UserFactory(), 4, ("mug", "M"))


@pytest.mark.parametrize(
    "choice", [("tee", "XS"), ("tee", "XXL"), ("poster", "50x70"), ("tote", "one-size")]
)
def test_every_catalogue_size_of_an_offered_product_is_taken(
    db_session: Session, choice: tuple[str, str]
) -> None:
    design = open_design(products=("tee", "poster", "tote"))
    cast(db_session, design, UserFactory(), 4, choice)
    assert intents(db_session, design.id) == {choice: 1}


def test_refusals_come_in_order_own_design_first(db_session: Session) -> None:
    design = open_design(state=DesignState.CLOSED)
    design.designer.email_verified_at = None
    with pytest.raises(services.NotAllowedToVote, match="own design"):
        cast(db_session, design, design.designer, 9)
    with pytest.raises(services.NotAllowedToVote, match="confirm your email"):
        cast(db_session, design, UserFactory(email_verified_at=None), 9)
    with pytest.raises(services.VotingClosed):
        cast(db_session, design, UserFactory(), 9)


# --- Changes -----------------------------------------------------------------------------------


def test_a_changed_score_adjusts_the_counters_by_the_difference(
    db_session: Session, clock: TestClock
) -> None:
    design = open_design()
    voter = UserFactory()
    cast(db_session, design, UserFactory(), 5)
    first = cast(db_session, design, voter, 4)
    later = clock.advance(timedelta(hours=2))
    changed = cast(db_session, design, voter, 2, now=later, ip_hash="c" * 64)
    assert changed.id == first.id
    assert (changed.score, changed.ip_hash) == (2, "c" * 64)
    assert changed.created_at == TEST_START and changed.updated_at == later
    assert counters(db_session, design.id) == (2, 7, 0)
    assert round(fresh(db_session, design).rank_score, 4) == round(67 / 22, 4)
    assert _votes(db_session) == 2


def test_the_same_vote_again_changes_nothing(db_session: Session, clock: TestClock) -> None:
    design = open_design(products=("tee",))
    voter = UserFactory()
    cast(db_session, design, voter, 4, ("tee", "M"), ip_hash="d" * 64)
    later = clock.advance(timedelta(hours=1))
    again = cast(db_session, design, voter, 4, ("tee", "M"), now=later, ip_hash="e" * 64)
    assert again.updated_at == TEST_START and again.ip_hash == "d" * 64
    assert counters(db_session, design.id) == (1, 4, 1)
    assert intents(db_session, design.id) == {("tee", "M"): 1}


def test_buy_intent_moves_between_sizes_and_products(db_session: Session) -> None:
    design = open_design(products=("tee", "poster"))
    voter = UserFactory()
    other = UserFactory()
    cast(db_session, design, other, 3, ("tee", "M"))

    cast(db_session, design, voter, 4, ("tee", "M"))
    assert counters(db_session, design.id) == (2, 7, 2)
    assert intents(db_session, design.id) == {("tee", "M"): 2}

    cast(db_session, design, voter, 4, ("tee", "L"))  # another size
    assert counters(db_session, design.id) == (2, 7, 2)
    assert intents(db_session, design.id) == {("tee", "M"): 1, ("tee", "L"): 1}

    cast(db_session, design, voter, 5, ("poster", "30x40"))  # another product and score
    assert counters(db_session, design.id) == (2, 8, 2)
    assert intents(db_session, design.id) == {("tee", "M"): 1, ("poster", "30x40"): 1}

    cast(db_session, design, voter, 5, None)  # no longer buys
    assert counters(db_session, design.id) == (2, 8, 1)
    assert intents(db_session, design.id) == {("tee", "M"): 1}
    vote = services.find_vote(db_session, design.id, voter.id, lock=False)
    assert vote is not None and (vote.buy, vote.product, vote.size) == (False, "", "")

    cast(db_session, design, voter, 5, ("tee", "M"))  # buys again
    assert counters(db_session, design.id) == (2, 8, 2)
    assert intents(db_session, design.id) == {("tee", "M"): 2}
    assert intents(db_session, design.id) == intents_from_rows(db_session, design.id)


def test_a_discounted_vote_can_change_but_still_does_not_count(db_session: Session) -> None:
    design = open_design(products=("tee",))
    voter = UserFactory()
    vote = cast(db_session, design, voter, 5, ("tee", "S"))
    cast(db_session, design, UserFactory(), 3)
    # Staff discount it (the integrity work's job; here by hand, with its counters move).
    vote.counted, vote.discount_category = False, VoteSignal.FIVE_STAR_BURST
    db_session.flush()
    from cocreate.voting import counters as counter_module

    counter_module.apply(
        db_session,
        design.id,
        before=counter_module.Effect(1, 5, 1, ("tee", "S")),
        after=counter_module.NONE,
        prior_weight=20,
    )
    assert counters(db_session, design.id) == (1, 3, 0)
    changed = cast(db_session, design, voter, 1, ("tee", "M"))
    assert (changed.score, changed.size, changed.counted) == (1, "M", False)
    assert counters(db_session, design.id) == (1, 3, 0)
    assert intents(db_session, design.id) == {}


def test_counters_equal_the_rows_after_many_votes_and_changes(db_session: Session) -> None:
    design = open_design(products=("tee", "poster", "tote"))
    voters = [UserFactory() for _ in range(6)]
    plan: list[tuple[int, int, tuple[str, str] | None]] = [
        (0, 5, ("tee", "M")),
        (1, 1, None),
        (2, 3, ("poster", "50x70")),
        (3, 4, ("tote", "one-size")),
        (0, 2, None),
        (1, 4, ("tee", "XL")),
        (4, 5, ("tee", "M")),
        (2, 3, ("poster", "50x70")),
        (5, 2, ("poster", "30x40")),
        (3, 4, None),
    ]
    for who, score, choice in plan:
        cast(db_session, design, voters[who], score, choice)
    assert counters(db_session, design.id) == from_rows(db_session, design.id) == (6, 20, 4)
    assert intents(db_session, design.id) == intents_from_rows(db_session, design.id)
    assert intents(db_session, design.id) == {
        ("tee", "XL"): 1,
        ("tee", "M"): 1,
        ("poster", "50x70"): 1,
        ("poster", "30x40"): 1,
    }


def test_one_design_s_votes_leave_another_s_counters_alone(db_session: Session) -> None:
    design, other = open_design(), open_design()
    cast(db_session, design, UserFactory(), 5, ("tee", "M"))
    assert counters(db_session, other.id) == (0, 0, 0)
    assert intents(db_session, other.id) == {}


# --- The unique constraint as the real guard ----------------------------------------------------


def _changed_elsewhere(session: Session, vote: Vote, score: int) -> None:
    """As another request would: the vote and its design's counters change in the database,
    behind this session's back (its Vote object still holds the old score)."""
    old = vote.score
    session.execute(
        update(Vote)
        .where(Vote.id == vote.id)
        .values(score=score)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Design)
        .where(Design.id == vote.design_id)
        .values(score_sum=Design.score_sum + score - old)
        .execution_options(synchronize_session=False)
    )


def test_a_change_starts_from_the_vote_as_stored_not_as_last_seen(db_session: Session) -> None:
    design = open_design()
    voter = UserFactory()
    vote = cast(db_session, design, voter, 4)
    _changed_elsewhere(db_session, vote, 2)
    assert vote.score == 4  # what this session last saw
    cast(db_session, design, voter, 5)
    # 2 → 5 moves the sum by 3: starting from the stale 4 would leave 3.
    assert counters(db_session, design.id) == from_rows(db_session, design.id) == (1, 5, 0)


def test_a_change_never_tries_an_insert(db_session: Session, engine: Engine) -> None:
    design = open_design()
    voter = UserFactory()
    cast(db_session, design, voter, 4)
    with count_queries(engine) as statements:
        cast(db_session, design, voter, 3)
    assert not [s for s in statements if s.lstrip().upper().startswith("INSERT INTO VOTES")]
    assert [s for s in statements if s.lstrip().upper().startswith("UPDATE VOTES")]


def test_a_first_vote_is_inserted_and_not_read_back(db_session: Session, engine: Engine) -> None:
    design = open_design()
    voter = UserFactory()
    with count_queries(engine) as statements:
        vote = cast(db_session, design, voter, 4, ip_hash="c" * 64)
        assert (vote.design_id, vote.voter_id, vote.score, vote.ip_hash) == (
            design.id,
            voter.id,
            4,
            "c" * 64,
        )
        assert (vote.counted, vote.discount_category, vote.discounted_at) == (True, None, None)
    flat = [" ".join(s.split()) for s in statements]
    # The look-up, then the INSERT … RETURNING id; the values the service gave are the vote's.
    assert len([s for s in flat if s.startswith("INSERT INTO votes")]) == 1
    assert [s for s in flat if "FROM votes WHERE votes.id" in s] == []


def test_one_member_votes_on_several_designs(db_session: Session) -> None:
    first, second = open_design(), open_design()
    voter = UserFactory()
    cast(db_session, first, voter, 5)
    cast(db_session, second, voter, 1)
    cast(db_session, first, voter, 4)
    assert counters(db_session, first.id) == (1, 4, 0)
    assert counters(db_session, second.id) == (1, 1, 0)
    assert _votes(db_session) == 2


def test_a_concurrent_first_vote_becomes_a_change(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if another request inserted this member's first vote between our look-up and our
    insert: the constraint refuses ours inside a SAVEPOINT and the vote is changed instead,
    starting from that request's vote as stored."""
    design = open_design()
    voter = UserFactory()
    vote = cast(db_session, design, voter, 2)
    _changed_elsewhere(db_session, vote, 3)
    real_find = services.find_vote
    missed = []

    def find_once_missing(*args: Any, **kwargs: Any) -> Vote | None:
        if not missed:
            missed.append(True)
            return None
        return real_find(*args, **kwargs)

    monkeypatch.setattr(services, "find_vote", find_once_missing)
    vote = cast(db_session, design, voter, 5)
    assert vote.score == 5
    assert _votes(db_session) == 1
    assert counters(db_session, design.id) == (1, 5, 0)
    # The request's transaction is intact after the refused insert.
    cast(db_session, design, UserFactory(), 1)
    assert counters(db_session, design.id) == from_rows(db_session, design.id) == (2, 6, 0)


# --- Integrity --------------------------------------------------------------------------------


def test_each_new_or_changed_vote_is_assessed_once_flushed(
    db_session: Session, monkeypatch: pytest.MonkeyPatch, clock: TestClock
) -> None:
    seen: list[tuple[int | None, int, Any]] = []

    def assess(session: Session, vote: Vote, *, now: Any) -> None:
        assert session is db_session
        seen.append((vote.id, vote.score, now))

    monkeypatch.setattr(integrity, "assess", assess)
    design = open_design()
    voter = UserFactory()
    vote = cast(db_session, design, voter, 3)
    later = clock.advance(timedelta(minutes=5))
    cast(db_session, design, voter, 4, now=later)
    cast(db_session, design, voter, 4, now=later)  # unchanged: not assessed again
    assert vote.id is not None
    assert seen == [(vote.id, 3, TEST_START), (vote.id, 4, later)]
