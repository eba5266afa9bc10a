"""The staff audit log: every kind of staff action with who, when, what and why, newest first,
filtered by staff member and kind, a page at a time, in constant queries; for admins only."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cocreate.config import settings
from cocreate.core.clock import TestClock
from cocreate.designs import lifecycle as design_lifecycle
from cocreate.designs.models import DesignState
from cocreate.production import lifecycle as run_lifecycle
from cocreate.production import services as production
from cocreate.production.models import RunState
from cocreate.site import audit_page
from cocreate.voting import comments, integrity
from cocreate.voting.comment_models import CommentReport, ReportReason
from cocreate.voting.flag_models import VoteFlag
from cocreate.voting.models import VoteSignal
from tests.accounts.factories import AdminFactory, StaffFactory, UserFactory
from tests.conftest import TEST_START
from tests.designs.factories import DesignFactory, VotingDesignFactory
from tests.designs.test_gallery import count_queries
from tests.production.factories import RunFactory
from tests.voting.comment_helpers import CommentFactory
from tests.voting.factories import VoteFactory

D = DesignState


def _text(html: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _rows(response: Any) -> list[str]:
    """The log table's rows, as text."""
    body = response.get_data(as_text=True).split("<tbody>")[1].split("</tbody>")[0]
    return [_text(row) for row in body.split("</tr>") if _text(row)]


def _minute(clock: TestClock) -> None:
    clock.advance(timedelta(minutes=1))


@pytest.fixture
def people(db_session: Session) -> dict[str, Any]:
    return {
        "stan": StaffFactory(email="stan@example.test", display_name="Stan Staff"),
        "ada": AdminFactory(email="ada@example.test", display_name="Ada Admin"),
        "member": UserFactory(email="member@example.test", display_name="Mo Member"),
    }


def every_kind(db_session: Session, clock: TestClock, people: dict[str, Any]) -> dict[str, Any]:
    """One staff action of each kind, a minute apart from 09:01, through the real services;
    and moves that are not staff actions (a designer's submission, voting closing by itself)."""
    stan, ada, member = people["stan"], people["ada"], people["member"]
    session = db_session
    draft = DesignFactory(title="Just Submitted", designer=member)
    design_lifecycle.submit(session, draft, member)  # the designer's own move: not listed
    ended = VotingDesignFactory(title="Closed By Time", voting_ends_at=TEST_START)
    design_lifecycle.close_voting(session, ended)  # the system's move: not listed
    _minute(clock)
    design_lifecycle.accept_screening(session, DesignFactory(state=D.SUBMITTED, title="In"), stan)
    _minute(clock)
    out = DesignFactory(state=D.SUBMITTED, title="Out")
    design_lifecycle.reject_screening(session, out, stan, "Trademark in the lettering")
    _minute(clock)
    design_lifecycle.remove(session, DesignFactory(state=D.VOTING, title="Gone"), ada, "Copyright")
    _minute(clock)
    talked = VotingDesignFactory(title="Talked About", comment_count=2)
    rude = CommentFactory(design=talked, body="Rude words")
    session.add(CommentReport(comment_id=rude.id, reporter_id=member.id, reason=ReportReason.SPAM))
    comments.hide(session, rude, stan, "Insults", now=clock.now())  # resolves its report too
    _minute(clock)
    fine = CommentFactory(design=talked, body="Fine words")
    session.add_all(
        [
            CommentReport(comment_id=fine.id, reporter_id=u.id, reason=ReportReason.OTHER)
            for u in (member, UserFactory())
        ]
    )
    session.flush()
    comments.dismiss_reports(session, fine, ada, now=clock.now())
    _minute(clock)
    voted = VotingDesignFactory(title="Voted On", vote_count=2, score_sum=8)
    first = VoteFactory(design=voted, voter=UserFactory(), score=4)
    second = VoteFactory(design=voted, voter=UserFactory(), score=4)
    integrity.discount_vote(session, first, stan, VoteSignal.SHARED_ADDRESS, clock.now())
    _minute(clock)
    integrity.restore_vote(session, first, stan, clock.now())
    _minute(clock)
    session.add(VoteFlag(vote_id=second.id, signal=VoteSignal.FIVE_STAR_BURST, count=9))
    session.flush()
    integrity.restore_vote(session, second, ada, clock.now())  # kept: flags dismissed
    _minute(clock)
    approved = DesignFactory(state=D.CLOSED, title="Approved One")
    plan = production.suggested_plan(session, approved, settings())
    plan.note = "Soft-hand ink"
    run = production.approve(session, approved, stan, plan, settings())
    _minute(clock)
    declined = DesignFactory(state=D.CLOSED, title="Declined One")
    production.decline(session, declined, stan, "Low buy intent")
    _minute(clock)
    run_lifecycle.start_printing(session, run, stan)
    _minute(clock)
    run_lifecycle.mark_in_stock(session, run, stan)  # also puts the design on sale: not listed
    _minute(clock)
    run_lifecycle.close(session, run, stan)
    _minute(clock)
    other = RunFactory(created_by=ada, created_at=clock.now(), design__title="Called Off")
    _minute(clock)
    run_lifecycle.cancel(session, other, ada, "Supplier out of blanks")
    session.flush()
    return {"run": run, "other": other, "talked": talked, "rude": rude}


#: The log of `every_kind`, newest first: what, on what, why (then who, when, checked apart).
EXPECTED = [
    ("10:15", "Ada Admin", "Run cancelled Run {other} of “Called Off” Supplier out of blanks"),
    ("10:14", "Ada Admin", "Run planned Run {other} of “Called Off”"),
    ("10:13", "Stan Staff", "Run closed Run {run} of “Approved One”"),
    ("10:12", "Stan Staff", "Run in stock Run {run} of “Approved One”"),
    ("10:11", "Stan Staff", "Run sent to print Run {run} of “Approved One”"),
    ("10:10", "Stan Staff", "Design declined Declined One Low buy intent"),
    ("10:09", "Stan Staff", "Design approved Approved One"),
    ("10:09", "Stan Staff", "Run planned Run {run} of “Approved One” Soft-hand ink"),
    ("10:08", "Ada Admin", "Vote kept, flags dismissed Voted On"),
    ("10:07", "Stan Staff", "Vote restored Voted On"),
    ("10:06", "Stan Staff", "Vote discounted Voted On Many accounts from one address"),
    ("10:05", "Ada Admin", "Comment reports dismissed Talked About 2 reports"),
    ("10:04", "Stan Staff", "Comment hidden Talked About Insults"),
    ("10:03", "Ada Admin", "Design removed Gone Copyright"),
    ("10:02", "Stan Staff", "Rejected at screening Out Trademark in the lettering"),
    ("10:01", "Stan Staff", "Opened to votes at screening In"),
]


def _expected(made: dict[str, Any], who: str | None = None) -> list[str]:
    # Times in the reader's zone: Europe/Paris is UTC+1 in March, so 09:01 UTC reads 10:01.
    return [
        f"3/2/26, {at}\u202fAM {name} " + what.format(run=made["run"].id, other=made["other"].id)
        for at, name, what in EXPECTED
        if who in (None, name)
    ]


@pytest.mark.usefixtures("request_ctx")
def test_the_log_lists_every_kind_of_staff_action_newest_first(
    client: FlaskClient, auth: Any, db_session: Session, clock: TestClock, people: dict[str, Any]
) -> None:
    made = every_kind(db_session, clock, people)
    auth.login("ada@example.test")
    response = client.get("/staff/audit")
    assert response.status_code == 200
    assert _rows(response) == _expected(made)
    html = response.get_data(as_text=True)
    rude, talked = made["rude"], made["talked"]
    assert f'href="/designs/{talked.id}#comment-{rude.id}"' in html
    assert f'href="/staff/production/runs/{made["run"].id}"' in html


@pytest.mark.usefixtures("request_ctx")
def test_filters_by_staff_member_and_kind(
    client: FlaskClient, auth: Any, db_session: Session, clock: TestClock, people: dict[str, Any]
) -> None:
    made = every_kind(db_session, clock, people)
    auth.login("ada@example.test")
    ada, stan = people["ada"].id, people["stan"].id

    def rows(query: str) -> list[str]:
        return _rows(client.get(f"/staff/audit?{query}"))

    assert rows(f"actor={ada}") == _expected(made, "Ada Admin")
    assert rows(f"actor={stan}") == _expected(made, "Stan Staff")
    assert rows("kind=vote_discounted") == [
        "3/2/26, 10:06\u202fAM Stan Staff Vote discounted Voted On Many accounts from one address"
    ]
    assert len(rows("kind=run_planned")) == 2
    assert rows(f"kind=run_planned&actor={ada}") == [_expected(made)[1]]
    assert rows(f"kind=design_removed&actor={stan}") == ["No staff action here."]
    # Unknown values are ignored: the whole log.
    assert rows("kind=refund&actor=abc&page=-3") == _expected(made)
    # The filter keeps its choices; the actor links filter by that person.
    html = client.get(f"/staff/audit?actor={ada}&kind=run_planned").get_data(as_text=True)
    assert f'<option value="{ada}" selected>Ada Admin</option>' in html
    assert '<option value="run_planned" selected>Run planned</option>' in html
    assert f'href="/staff/audit?actor={ada}&amp;kind=run_planned"' in html


@pytest.mark.usefixtures("request_ctx")
def test_pages_newest_first_and_the_last_page_full(
    db_session: Session, clock: TestClock, people: dict[str, Any]
) -> None:
    every_kind(db_session, clock, people)  # 16 entries

    def page(n: int) -> audit_page.AuditPage:
        return audit_page.audit_log(db_session, audit_page.AuditFilters(page=n), per_page=8)

    first, last = page(1), page(2)
    assert [e.at.minute for e in first.entries] == [15, 14, 13, 12, 11, 10, 9, 9]
    assert first.has_next
    assert [e.at.minute for e in last.entries] == [8, 7, 6, 5, 4, 3, 2, 1]
    assert not last.has_next
    assert page(3).entries == [] and not page(3).has_next
    assert [name for _id, name in first.staff] == ["Ada Admin", "Stan Staff"]


@pytest.mark.usefixtures("request_ctx")
def test_a_demoted_staff_member_is_still_named(
    db_session: Session, clock: TestClock, people: dict[str, Any]
) -> None:
    every_kind(db_session, clock, people)
    people["stan"].role = people["member"].role
    db_session.flush()
    log = audit_page.audit_log(db_session, audit_page.AuditFilters(kind="design_declined"))
    assert [(e.actor_name, e.label, e.reason_text) for e in log.entries] == [
        ("Stan Staff", "Design declined", "Low buy intent")
    ]


def test_only_admins_see_the_log(
    app: Flask, client: FlaskClient, auth: Any, db_session: Session, people: dict[str, Any]
) -> None:
    assert client.get("/staff/audit").status_code == 302
    auth.login("member@example.test")
    assert client.get("/staff/audit").status_code == 403
    auth.logout()
    auth.login("stan@example.test")
    assert client.get("/staff/audit").status_code == 403
    assert "Audit log" not in _text(client.get("/staff/").get_data(as_text=True))
    auth.logout()
    auth.login("ada@example.test")
    assert client.get("/staff/audit").status_code == 200
    assert 'href="/staff/audit"' in client.get("/staff/").get_data(as_text=True)


def test_the_page_runs_a_constant_number_of_queries(
    client: FlaskClient, auth: Any, db_session: Session, people: dict[str, Any], engine: Engine
) -> None:
    auth.login("ada@example.test")

    def act(n: int) -> None:
        for i in range(n):
            staff = StaffFactory()
            DesignFactory(state=D.REJECTED, title=f"Rejected {i}")
            RunFactory(created_by=staff, state=RunState.PLANNED)

    act(1)
    with count_queries(engine) as few:
        assert client.get("/staff/audit").status_code == 200
    act(5)
    with count_queries(engine) as many:
        assert client.get("/staff/audit").status_code == 200
    assert len(many) == len(few)


@pytest.mark.usefixtures("request_ctx")
def test_a_restored_comment_keeps_its_hide_and_shows_its_restore(
    db_session: Session, clock: TestClock, people: dict[str, Any]
) -> None:
    stan, ada, member = people["stan"], people["ada"], people["member"]
    talked = VotingDesignFactory(title="Talked About", comment_count=1)
    comment = CommentFactory(design=talked, body="Blunt words")
    db_session.add(
        CommentReport(comment_id=comment.id, reporter_id=member.id, reason=ReportReason.SPAM)
    )
    db_session.flush()
    _minute(clock)
    comments.hide(db_session, comment, stan, "Insults", now=clock.now())  # resolves the report
    _minute(clock)
    comments.restore(db_session, comment, ada, now=clock.now())
    _minute(clock)
    comments.hide(db_session, comment, ada, "Insults, on a second reading", now=clock.now())
    log = audit_page.audit_log(db_session, audit_page.AuditFilters())
    # Newest first; the report the first hide resolved is that hide, not a dismissal.
    assert [(e.at.minute, e.actor_name, e.label, e.reason_text) for e in log.entries] == [
        (3, "Ada Admin", "Comment hidden", "Insults, on a second reading"),
        (2, "Ada Admin", "Comment shown again", ""),
        (1, "Stan Staff", "Comment hidden", "Insults"),
    ]
    restored = audit_page.audit_log(db_session, audit_page.AuditFilters(kind="comment_restored"))
    assert [(e.actor_name, e.label) for e in restored.entries] == [
        ("Ada Admin", "Comment shown again")
    ]
