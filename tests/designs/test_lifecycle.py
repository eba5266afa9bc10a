"""The design lifecycle: the whole transition table, and each transition's rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.core import db, mail
from cocreate.core.db import now_utc
from cocreate.designs import lifecycle
from cocreate.designs.models import DesignState, DesignTransition
from tests.accounts.factories import StaffFactory, UserFactory
from tests.designs.factories import DesignFactory, VotingDesignFactory

S = DesignState
ALL_PAIRS = [(a, b) for a in S for b in S if a is not b]


@pytest.mark.usefixtures("request_ctx")
@pytest.mark.parametrize(("start", "end"), ALL_PAIRS)
def test_transition_table(db_session: Session, start: DesignState, end: DesignState) -> None:
    design = DesignFactory(state=start)
    allowed = end in lifecycle.TRANSITIONS[start]
    if allowed:
        lifecycle._move(db_session, design, end, None, "because")
        assert design.state is end
        row = db_session.scalar(
            select(DesignTransition).where(DesignTransition.design_id == design.id)
        )
        assert row is not None and (row.from_state, row.to_state) == (start, end)
    else:
        with pytest.raises(lifecycle.InvalidTransition):
            lifecycle._move(db_session, design, end, None)
        assert design.state is start
        assert db_session.scalar(select(DesignTransition)) is None


def test_removed_is_final_and_everything_can_be_removed() -> None:
    assert lifecycle.TRANSITIONS[S.REMOVED] == frozenset()
    assert all(
        S.REMOVED in targets
        for state, targets in lifecycle.TRANSITIONS.items()
        if state is not S.REMOVED
    )


@pytest.mark.usefixtures("request_ctx")
def test_submit_with_screening_waits_for_staff(db_session: Session, app: Flask) -> None:
    design = DesignFactory()
    lifecycle.submit(db_session, design, design.designer)
    assert design.state is S.SUBMITTED and design.submitted_at is not None
    assert design.voting_ends_at is None


@pytest.mark.usefixtures("request_ctx")
@pytest.mark.parametrize("app_overrides", [{"SCREENING": False, "VOTING_DAYS": 5}])
def test_submit_without_screening_opens_voting(
    db_session: Session, app: Flask, app_overrides: dict[str, Any]
) -> None:
    design = DesignFactory()
    before = now_utc()
    lifecycle.submit(db_session, design, design.designer)
    assert design.state is S.VOTING
    assert design.voting_ends_at is not None
    assert timedelta(days=5) <= design.voting_ends_at - before < timedelta(days=5, minutes=1)


@pytest.mark.usefixtures("request_ctx")
def test_only_owner_submits_and_only_when_verified(db_session: Session) -> None:
    design = DesignFactory()
    with pytest.raises(lifecycle.NotAllowed):
        lifecycle.submit(db_session, design, UserFactory())
    design.designer.email_verified_at = None
    with pytest.raises(lifecycle.InvalidTransition, match="confirm your email"):
        lifecycle.submit(db_session, design, design.designer)
    assert design.state is S.DRAFT and design.submitted_at is None


@pytest.mark.usefixtures("request_ctx")
def test_staff_accepts_and_designer_is_told_in_their_language(
    db_session: Session, app: Flask
) -> None:
    designer = UserFactory(locale="fr")
    design = DesignFactory(state=S.SUBMITTED, designer=designer)
    staff = StaffFactory(locale="en")
    lifecycle.accept_screening(db_session, design, staff)
    assert design.state is S.VOTING and design.published_at is not None
    db.commit()
    sent = mail.outbox(app)[0]
    assert sent.to == designer.email and sent.locale == "fr"
    assert design.title in sent.subject


@pytest.mark.usefixtures("request_ctx")
def test_reject_needs_reason_and_staff(db_session: Session) -> None:
    design = DesignFactory(state=S.SUBMITTED)
    with pytest.raises(lifecycle.NotAllowed):
        lifecycle.reject_screening(db_session, design, UserFactory(), "no")
    with pytest.raises(lifecycle.InvalidTransition, match="give a reason"):
        lifecycle.reject_screening(db_session, design, StaffFactory(), "   ")
    lifecycle.reject_screening(db_session, design, StaffFactory(), "Uses a registered logo.")
    assert design.state is S.REJECTED and design.state_reason == "Uses a registered logo."


@pytest.mark.usefixtures("request_ctx")
def test_accept_only_submitted(db_session: Session) -> None:
    design = DesignFactory(state=S.DRAFT)
    with pytest.raises(lifecycle.InvalidTransition):
        lifecycle.accept_screening(db_session, design, StaffFactory())


@pytest.mark.usefixtures("request_ctx")
def test_close_voting_only_after_window(db_session: Session) -> None:
    design = VotingDesignFactory()
    with pytest.raises(lifecycle.InvalidTransition):
        lifecycle.close_voting(db_session, design)
    lifecycle.close_voting(db_session, design, at=design.voting_ends_at + timedelta(seconds=1))
    assert design.state is S.CLOSED
    row = db_session.scalar(select(DesignTransition))
    assert row is not None and row.actor_id is None


@pytest.mark.usefixtures("request_ctx")
def test_withdraw_by_owner_only(db_session: Session) -> None:
    design = VotingDesignFactory()
    with pytest.raises(lifecycle.NotAllowed):
        lifecycle.withdraw(db_session, design, UserFactory())
    lifecycle.withdraw(db_session, design, design.designer)
    assert design.state is S.WITHDRAWN
    with pytest.raises(lifecycle.InvalidTransition):
        lifecycle.withdraw(db_session, design, design.designer)


@pytest.mark.usefixtures("request_ctx")
def test_no_withdrawal_after_the_window(db_session: Session) -> None:
    design = VotingDesignFactory(voting_ends_at=now_utc() - timedelta(minutes=1))
    with pytest.raises(lifecycle.InvalidTransition, match="Voting on this design has ended"):
        lifecycle.withdraw(db_session, design, design.designer)
    assert design.state is S.VOTING


def test_close_voting_command(app: Flask, db_session: Session) -> None:
    due = VotingDesignFactory(voting_ends_at=now_utc() - timedelta(minutes=1))
    running = VotingDesignFactory()
    db_session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["designs", "close-voting"])
    assert result.exit_code == 0, result.output
    assert "Closed voting on 1 design(s)." in result.output
    db_session.expire_all()
    assert db_session.get_one(type(due), due.id).state is S.CLOSED
    assert db_session.get_one(type(running), running.id).state is S.VOTING
    assert "Closed voting on 0 design(s)." in runner.invoke(args=["designs", "close-voting"]).output
