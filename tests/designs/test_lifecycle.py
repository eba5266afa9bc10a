"""The design lifecycle: the whole transition table, and each transition's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.core import db, mail
from cocreate.core.db import now_utc
from cocreate.core.lifecycle import InvalidTransition, NotAllowed, transition
from cocreate.designs import lifecycle
from cocreate.designs.models import DesignState, DesignTransition
from tests.accounts.factories import StaffFactory, UserFactory
from tests.designs.factories import DesignFactory, VotingDesignFactory

S = DesignState

# Every (from, to) pair of the 11 states, typed by hand from DESIGN.md's diagram ("A design's
# life"): `x` = allowed, `.` = refused. Plus: submit opens voting at once when screening is off
# (draft → voting), a submitted design can still be withdrawn, and staff may remove a design
# from any state but `removed`. No state moves to itself.
MATRIX = """
           draft  submit voting closed approv declin onsale retire reject withdr remove
draft        .      x      x      .      .      .      .      .      .      x      x
submitted    .      .      x      .      .      .      .      .      x      x      x
voting       .      .      .      x      .      .      .      .      .      x      x
closed       .      .      .      .      x      x      .      .      .      .      x
approved     .      .      .      .      .      .      x      .      .      .      x
declined     .      .      .      .      .      .      .      .      .      .      x
on_sale      .      .      .      .      .      .      .      x      .      .      x
retired      .      .      .      .      .      .      x      .      .      .      x
rejected     .      .      .      .      .      .      .      .      .      .      x
withdrawn    .      .      .      .      .      .      .      .      .      .      x
removed      .      .      .      .      .      .      .      .      .      .      .
"""
#: The grid's column headings, cut to six letters.
HEADINGS = {
    "draft": "draft",
    "submit": "submitted",
    "voting": "voting",
    "closed": "closed",
    "approv": "approved",
    "declin": "declined",
    "onsale": "on_sale",
    "retire": "retired",
    "reject": "rejected",
    "withdr": "withdrawn",
    "remove": "removed",
}


def _matrix() -> list[tuple[str, str, bool]]:
    header, *rows = MATRIX.strip().splitlines()
    targets = [HEADINGS[heading] for heading in header.split()]
    cells = []
    for row in rows:
        start, *marks = row.split()
        assert len(marks) == len(targets)
        cells += [(start, end, mark == "x") for end, mark in zip(targets, marks, strict=True)]
    return cells


CELLS = _matrix()


def test_matrix_covers_all_121_pairs() -> None:
    assert len(CELLS) == 121
    assert {(a, b) for a, b, _ in CELLS} == {(a.value, b.value) for a in S for b in S}


@pytest.mark.usefixtures("request_ctx")
@pytest.mark.parametrize(("start", "end", "allowed"), CELLS)
def test_transition_table(db_session: Session, start: str, end: str, allowed: bool) -> None:
    design = DesignFactory(state=S(start))
    staff = StaffFactory()
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def move() -> DesignTransition:
        return transition(
            db_session,
            design,
            S(end),
            table=lifecycle.TRANSITIONS,
            audit_model=DesignTransition,
            actor_id=staff.id,
            at=at,
            message=lifecycle.refused_message,
            reason=" because ",
        )

    if allowed:
        move()
        assert design.state is S(end)
        rows = db_session.scalars(select(DesignTransition)).all()
        assert [(r.design_id, r.actor_id, r.from_state, r.to_state, r.reason) for r in rows] == [
            (design.id, staff.id, S(start), S(end), "because")
        ]
        assert rows[0].created_at == at
    else:
        with pytest.raises(InvalidTransition) as refused:
            move()
        assert str(refused.value).startswith("This design is ")
        assert design.state is S(start)
        assert db_session.scalar(select(DesignTransition)) is None


@pytest.mark.usefixtures("request_ctx")
def test_refusal_names_the_state_the_design_is_in(db_session: Session) -> None:
    design = DesignFactory(state=S.CLOSED)
    with pytest.raises(InvalidTransition) as refused:
        lifecycle.withdraw(db_session, design, design.designer)
    assert str(refused.value) == "This design is voting closed, so this cannot be done any more."


def test_existing_imports_still_work() -> None:
    assert lifecycle.InvalidTransition is InvalidTransition
    assert lifecycle.NotAllowed is NotAllowed


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
    result = runner.invoke(args=["voting", "close-expired"])
    assert result.exit_code == 0, result.output
    assert "Closed voting on 1 design(s)." in result.output
    db_session.expire_all()
    assert db_session.get_one(type(due), due.id).state is S.CLOSED
    assert db_session.get_one(type(running), running.id).state is S.VOTING
    assert "Closed voting on 0 design(s)." in runner.invoke(args=["voting", "close-expired"]).output
