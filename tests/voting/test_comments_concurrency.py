"""Real races on PostgreSQL: two staff hiding one comment, one member's two reports at once,
and many members commenting on one design: the counter always equals the visible rows."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from cocreate.accounts.models import User
from cocreate.core import db
from cocreate.core.db import now_utc
from cocreate.designs.models import Design
from cocreate.voting import comments
from cocreate.voting.comment_models import Comment, CommentReport, ReportReason
from tests.accounts.factories import StaffFactory, UserFactory
from tests.concurrency import TIMEOUT, Concurrent
from tests.designs.factories import VotingDesignFactory

pytestmark = pytest.mark.postgres_only


def _design_with_comment(concurrent: Concurrent) -> tuple[int, int]:
    with concurrent.setup() as session:
        design = VotingDesignFactory()
        comment = comments.post(session, design, UserFactory(), "Rude.", now=now_utc())
        return design.id, comment.id


def test_two_staff_hide_one_comment_at_once_and_the_count_drops_by_one(
    concurrent: Concurrent,
) -> None:
    design_id, comment_id = _design_with_comment(concurrent)
    with concurrent.setup():
        staff_ids = [StaffFactory().id, StaffFactory().id]
    first_hid = threading.Event()
    first_may_commit = threading.Event()

    def staff_member(number: int) -> bool:
        session = concurrent.session()
        with concurrent.request(session):
            comment = session.get_one(Comment, comment_id)
            staff = session.get_one(User, staff_ids[number])
            if number == 1:
                assert first_hid.wait(TIMEOUT)
            hidden = comments.hide(session, comment, staff, f"Reason {number}.", now=now_utc())
            if number == 0:
                first_hid.set()
                assert first_may_commit.wait(TIMEOUT)
            db.commit()
            return hidden

    first = concurrent.start(lambda: staff_member(0))
    second = concurrent.start(lambda: staff_member(1))
    assert first_hid.wait(TIMEOUT)
    concurrent.wait_until_blocked(1)  # the second UPDATE waits on the comment's row lock
    first_may_commit.set()
    concurrent.join()

    assert (first.error, second.error) == (None, None)
    assert (first.result, second.result) == (True, False)
    with concurrent.session() as check:
        assert check.get_one(Design, design_id).comment_count == 0
        comment = check.get_one(Comment, comment_id)
        assert (comment.hidden_by_id, comment.hidden_reason) == (staff_ids[0], "Reason 0.")


def test_a_members_two_reports_sent_at_once_make_one_row(concurrent: Concurrent) -> None:
    _design_id, comment_id = _design_with_comment(concurrent)
    with concurrent.setup():
        reporter_id = UserFactory().id
    first_reported = threading.Event()
    first_may_commit = threading.Event()

    def send(number: int) -> str:
        session = concurrent.session()
        with concurrent.request(session):
            comment = session.get_one(Comment, comment_id)
            reporter = session.get_one(User, reporter_id)
            if number == 1:
                assert first_reported.wait(TIMEOUT)
            try:
                comments.report(session, comment, reporter, ReportReason.SPAM, now=now_utc())
            except comments.CommentRefused as refusal:
                # The savepoint kept the transaction usable: the request still ends normally.
                db.commit()
                return refusal.message
            if number == 0:
                first_reported.set()
                assert first_may_commit.wait(TIMEOUT)
            db.commit()
            return "reported"

    first = concurrent.start(lambda: send(0))
    second = concurrent.start(lambda: send(1))
    assert first_reported.wait(TIMEOUT)
    concurrent.wait_until_blocked(1)  # the second insert waits on the unique key
    first_may_commit.set()
    concurrent.join()

    assert (first.error, second.error) == (None, None)
    assert (first.result, second.result) == (
        "reported",
        "You have already reported this comment; our team will look at it.",
    )
    with concurrent.session() as check:
        assert check.scalar(select(func.count()).select_from(CommentReport)) == 1


def test_many_members_commenting_at_once_are_all_counted(concurrent: Concurrent) -> None:
    with concurrent.setup():
        design_id = VotingDesignFactory().id
        author_ids = [UserFactory().id for _ in range(6)]
    start = threading.Barrier(len(author_ids), timeout=TIMEOUT)

    def member(author_id: int) -> None:
        start.wait()
        for n in range(10):
            session = concurrent.session()
            with concurrent.request(session):
                design = session.get_one(Design, design_id)
                author = session.get_one(User, author_id)
                comments.post(session, design, author, f"Comment {n}", now=now_utc())
                db.commit()

    outcomes = [concurrent.start(lambda a=a: member(a)) for a in author_ids]
    concurrent.join()
    assert [o.error for o in outcomes] == [None] * 6
    with concurrent.session() as check:
        rows = check.scalar(select(func.count()).where(Comment.design_id == design_id))
        assert rows == 60
        assert check.get_one(Design, design_id).comment_count == 60
