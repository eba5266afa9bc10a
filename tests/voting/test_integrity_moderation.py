"""Staff discount and restore flagged votes: the design's counters and rank follow by exactly
that vote, a repeat changes nothing, each decision leaves an audit row, and only staff decide."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from cocreate.accounts.models import User
from cocreate.core.lifecycle import NotAllowed
from cocreate.designs.models import Design
from cocreate.voting import counters, integrity
from cocreate.voting.flag_models import FlagState, ModerationAction, VoteFlag, VoteModeration
from cocreate.voting.models import Vote, VoteSignal
from tests.voting.helpers_integrity import ADDRESS, PRIOR, T0, cast, design, intents, member, totals

LATER = T0 + timedelta(hours=2)
SHARED = VoteSignal.SHARED_ADDRESS


def _audit(session: Session) -> list[tuple[int, int, ModerationAction, VoteSignal | None, object]]:
    rows = session.execute(
        select(
            VoteModeration.vote_id,
            VoteModeration.actor_id,
            VoteModeration.action,
            VoteModeration.category,
            VoteModeration.created_at,
        ).order_by(VoteModeration.id)
    ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _flag_states(
    session: Session, vote: Vote
) -> list[tuple[VoteSignal, FlagState, object, object]]:
    rows = session.execute(
        select(VoteFlag.signal, VoteFlag.state, VoteFlag.resolved_by_id, VoteFlag.resolved_at)
        .where(VoteFlag.vote_id == vote.id)
        .order_by(VoteFlag.signal)
    ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


@dataclass(frozen=True)
class Scene:
    design: Design
    honest: Vote
    suspect: Vote
    staff: User


@pytest.fixture
def scene(db_session: Session, request_ctx: None) -> Scene:
    """A design with a counted 4 and, from one shared address with four other accounts'
    votes elsewhere, a 5 with "I'd buy it" in M: that 5 carries a shared-address flag."""
    target = design()
    honest = cast(db_session, target, member(), 4)
    for _ in range(4):
        cast(db_session, design(), member(), 3, ip_hash=ADDRESS)
    suspect = cast(db_session, target, member(), 5, ip_hash=ADDRESS, size="M")
    # A sixth account from that address, on another design: flagged too.
    cast(db_session, design(), member(), 3, ip_hash=ADDRESS)
    return Scene(target, honest, suspect, member(role="staff"))


def test_scene_before_any_decision(db_session: Session, scene: Scene) -> None:
    # (20·3 + 9) / (20 + 2) = 69 / 22
    assert totals(db_session, scene.design) == (2, 9, 1, 3.136364)
    assert intents(db_session, scene.design) == {("tee", "M"): 1}
    assert _flag_states(db_session, scene.suspect) == [(SHARED, FlagState.OPEN, None, None)]
    assert _flag_states(db_session, scene.honest) == []


def test_discount_takes_exactly_that_vote_out(db_session: Session, scene: Scene) -> None:
    suspect, staff = scene.suspect, scene.staff
    done = integrity.discount_vote(db_session, suspect, staff, VoteSignal.FIVE_STAR_BURST, LATER)
    assert done is ModerationAction.DISCOUNT
    # (20·3 + 4) / (20 + 1) = 64 / 21
    assert totals(db_session, scene.design) == (1, 4, 0, 3.047619)
    assert intents(db_session, scene.design) == {("tee", "M"): 0}
    db_session.expire_all()
    stored = db_session.get_one(Vote, suspect.id)
    assert (stored.counted, stored.discount_category) == (False, VoteSignal.FIVE_STAR_BURST)
    assert (stored.discounted_at, stored.discounted_by_id) == (LATER, staff.id)
    assert _flag_states(db_session, suspect) == [(SHARED, FlagState.DISCOUNTED, staff.id, LATER)]
    assert _audit(db_session) == [
        (suspect.id, staff.id, ModerationAction.DISCOUNT, VoteSignal.FIVE_STAR_BURST, LATER)
    ]


def test_discounting_again_changes_nothing(db_session: Session, scene: Scene) -> None:
    suspect, staff = scene.suspect, scene.staff
    integrity.discount_vote(db_session, suspect, staff, SHARED, LATER)
    again = integrity.discount_vote(
        db_session, suspect, member(role="admin"), VoteSignal.OTHER, LATER + timedelta(hours=1)
    )
    assert again is None
    assert totals(db_session, scene.design) == (1, 4, 0, 3.047619)
    db_session.expire_all()
    stored = db_session.get_one(Vote, suspect.id)
    assert (stored.discount_category, stored.discounted_at) == (SHARED, LATER)
    assert stored.discounted_by_id == staff.id
    assert _flag_states(db_session, suspect) == [(SHARED, FlagState.DISCOUNTED, staff.id, LATER)]
    assert len(_audit(db_session)) == 1


def test_restore_brings_the_vote_back(db_session: Session, scene: Scene) -> None:
    suspect, staff = scene.suspect, scene.staff
    integrity.discount_vote(db_session, suspect, staff, SHARED, LATER)
    other_staff = member(role="staff")
    restored_at = LATER + timedelta(hours=1)
    done = integrity.restore_vote(db_session, suspect, other_staff, restored_at)
    assert done is ModerationAction.RESTORE
    assert totals(db_session, scene.design) == (2, 9, 1, 3.136364)
    assert intents(db_session, scene.design) == {("tee", "M"): 1}
    db_session.expire_all()
    stored = db_session.get_one(Vote, suspect.id)
    assert (stored.counted, stored.discount_category) == (True, None)
    assert (stored.discounted_at, stored.discounted_by_id) == (None, None)
    assert _flag_states(db_session, suspect) == [
        (SHARED, FlagState.DISMISSED, other_staff.id, restored_at)
    ]
    assert _audit(db_session) == [
        (suspect.id, staff.id, ModerationAction.DISCOUNT, SHARED, LATER),
        (suspect.id, other_staff.id, ModerationAction.RESTORE, None, restored_at),
    ]


def test_restoring_again_changes_nothing(db_session: Session, scene: Scene) -> None:
    suspect, staff = scene.suspect, scene.staff
    integrity.discount_vote(db_session, suspect, staff, SHARED, LATER)
    integrity.restore_vote(db_session, suspect, staff, LATER)
    assert integrity.restore_vote(db_session, suspect, staff, LATER + timedelta(hours=1)) is None
    assert totals(db_session, scene.design) == (2, 9, 1, 3.136364)
    assert _flag_states(db_session, suspect) == [(SHARED, FlagState.DISMISSED, staff.id, LATER)]
    assert len(_audit(db_session)) == 2


def test_keeping_a_counted_vote_dismisses_its_flags_only(
    db_session: Session,
    scene: Scene,
) -> None:
    suspect, staff = scene.suspect, scene.staff
    assert integrity.restore_vote(db_session, suspect, staff, LATER) is ModerationAction.DISMISS
    assert totals(db_session, scene.design) == (2, 9, 1, 3.136364)
    assert _flag_states(db_session, suspect) == [(SHARED, FlagState.DISMISSED, staff.id, LATER)]
    assert _audit(db_session) == [(suspect.id, staff.id, ModerationAction.DISMISS, None, LATER)]
    assert integrity.restore_vote(db_session, suspect, staff, LATER) is None
    assert len(_audit(db_session)) == 1


def test_keeping_a_vote_without_flags_changes_nothing(
    db_session: Session,
    scene: Scene,
) -> None:
    assert integrity.restore_vote(db_session, scene.honest, scene.staff, LATER) is None
    assert _audit(db_session) == []


def test_discounting_a_kept_vote_resolves_its_dismissed_flags_too(
    db_session: Session,
    scene: Scene,
) -> None:
    suspect, staff = scene.suspect, scene.staff
    integrity.restore_vote(db_session, suspect, staff, LATER)
    integrity.discount_vote(db_session, suspect, staff, SHARED, LATER + timedelta(hours=1))
    assert _flag_states(db_session, suspect) == [
        (SHARED, FlagState.DISCOUNTED, staff.id, LATER + timedelta(hours=1))
    ]


def test_a_flag_of_another_vote_is_left_alone(db_session: Session, scene: Scene) -> None:
    integrity.discount_vote(db_session, scene.suspect, scene.staff, SHARED, LATER)
    others = db_session.scalars(
        select(VoteFlag.state).where(VoteFlag.vote_id != scene.suspect.id)
    ).all()
    assert others == [FlagState.OPEN]


def test_the_decision_reads_the_vote_as_stored_not_as_held(
    db_session: Session,
    scene: Scene,
) -> None:
    # Another staff member discounted it meanwhile: the object in hand is stale.
    suspect = scene.suspect
    effect = counters.effect_of(suspect)
    db_session.execute(
        update(Vote)
        .where(Vote.id == suspect.id)
        .values(counted=False, discount_category=VoteSignal.OTHER)
    )
    counters.apply(db_session, suspect.design_id, effect, counters.NONE, prior_weight=PRIOR)
    set_committed_value(suspect, "counted", True)  # what this request last read
    again = integrity.discount_vote(db_session, suspect, scene.staff, SHARED, LATER)
    assert again is None
    assert totals(db_session, scene.design) == (1, 4, 0, 3.047619)


def test_members_cannot_decide(db_session: Session, scene: Scene) -> None:
    outsider = member()
    with pytest.raises(NotAllowed):
        integrity.discount_vote(db_session, scene.suspect, outsider, SHARED, LATER)
    integrity.discount_vote(db_session, scene.honest, scene.staff, SHARED, LATER)
    with pytest.raises(NotAllowed):
        integrity.restore_vote(db_session, scene.honest, outsider, LATER)
    # Staff's discount of the honest vote stands; the suspect still counts.
    assert totals(db_session, scene.design) == (1, 5, 1, 3.095238)
    assert len(_audit(db_session)) == 1


def test_admins_decide_like_staff(db_session: Session, scene: Scene) -> None:
    admin = member(role="admin")
    assert integrity.discount_vote(db_session, scene.suspect, admin, SHARED, LATER)
    assert totals(db_session, scene.design) == (1, 4, 0, 3.047619)
