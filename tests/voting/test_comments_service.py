"""The comment services: who may post where, one level of replies, the edit window to the
instant, reports once per member, staff hiding and restoring with exact counts, notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core.clock import TestClock
from cocreate.designs.models import Design, DesignState
from cocreate.voting import comments
from cocreate.voting.comment_models import (
    Comment,
    CommentAction,
    CommentModeration,
    CommentReport,
    ReportReason,
)
from cocreate.voting.comments import CommentRefused
from tests.accounts.factories import StaffFactory, UserFactory
from tests.conftest import TEST_START
from tests.designs.factories import DesignFactory, VotingDesignFactory
from tests.voting.comment_helpers import NotifySpy, spy_on_notifications

pytestmark = pytest.mark.usefixtures("request_ctx")

S = DesignState


@pytest.fixture
def notified(monkeypatch: pytest.MonkeyPatch) -> NotifySpy:
    return spy_on_notifications(monkeypatch)


def _count(session: Session, design: Design) -> int:
    return session.scalar(select(Design.comment_count).where(Design.id == design.id)) or 0


def _visible_rows(session: Session, design: Design) -> int:
    query = select(func.count()).where(Comment.design_id == design.id, ~Comment.hidden)
    return session.scalar(query) or 0


def _post(
    session: Session,
    design: Design,
    author: User,
    text: str = "Strong lines.",
    clock: TestClock | None = None,
    reply_to: Comment | None = None,
) -> Comment:
    now = clock.now() if clock else TEST_START
    return comments.post(session, design, author, text, now=now, reply_to=reply_to)


# --- Posting -------------------------------------------------------------------------------------


def test_post_stores_the_cleaned_text_counts_it_and_notifies(
    db_session: Session, clock: TestClock, notified: NotifySpy
) -> None:
    design = VotingDesignFactory()
    author = UserFactory()
    comment = _post(db_session, design, author, "  Love the colours!\r\n\r\n\r\nMore?  ", clock)
    stored = db_session.get_one(Comment, comment.id)
    assert stored.body == "Love the colours!\n\nMore?"
    assert stored.created_at == TEST_START
    assert stored.parent_id is None and stored.edited_at is None and not stored.hidden
    assert _count(db_session, design) == 1
    assert notified.calls == [
        {
            "design_id": design.id,
            "comment_id": comment.id,
            "author_id": author.id,
            "reply_to_author_id": None,
        }
    ]


@pytest.mark.parametrize(
    ("state", "allowed"),
    [
        (S.DRAFT, False),
        (S.SUBMITTED, False),
        (S.VOTING, True),
        (S.CLOSED, True),
        (S.APPROVED, True),
        (S.DECLINED, False),
        (S.ON_SALE, True),
        (S.RETIRED, True),
        (S.REJECTED, False),
        (S.WITHDRAWN, False),
        (S.REMOVED, False),
    ],
)
def test_only_public_designs_take_comments(
    db_session: Session, notified: NotifySpy, state: DesignState, allowed: bool
) -> None:
    design = DesignFactory(state=state)
    if allowed:
        _post(db_session, design, UserFactory())
        assert _count(db_session, design) == 1
        return
    with pytest.raises(CommentRefused) as refused:
        _post(db_session, design, UserFactory())
    assert refused.value.status == 409
    assert refused.value.message == "This design is not open to comments."
    assert _count(db_session, design) == 0
    assert db_session.scalar(select(func.count()).select_from(Comment)) == 0
    assert notified.calls == []


def test_unverified_members_cannot_post(db_session: Session, notified: NotifySpy) -> None:
    design = VotingDesignFactory()
    with pytest.raises(CommentRefused) as refused:
        _post(db_session, design, UserFactory(email_verified_at=None))
    assert refused.value.status == 403
    assert refused.value.message == (
        "Confirm your email address before you comment: open the link we sent you."
    )
    assert _count(db_session, design) == 0
    assert notified.calls == []


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t", "\u200b\u200b", "\u3164"])
def test_an_empty_comment_is_refused(db_session: Session, text: str) -> None:
    design = VotingDesignFactory()
    with pytest.raises(CommentRefused) as refused:
        _post(db_session, design, UserFactory(), text)
    assert (refused.value.status, refused.value.message) == (422, "Write something before posting.")
    assert _count(db_session, design) == 0


def test_a_comment_holds_2000_characters_not_2001(db_session: Session) -> None:
    design = VotingDesignFactory()
    author = UserFactory()
    assert len(_post(db_session, design, author, "é" * 2000).body) == 2000
    # Spaces around the text are not counted: they are not stored.
    assert len(_post(db_session, design, author, "  " + "x" * 2000 + "\n ").body) == 2000
    with pytest.raises(CommentRefused) as refused:
        _post(db_session, design, author, "x" * 2001)
    assert refused.value.status == 422
    assert refused.value.message == "A comment holds at most 2000 characters; yours has 2001."
    assert _count(db_session, design) == 2


def test_the_database_refuses_an_empty_or_too_long_body(db_session: Session) -> None:
    design = VotingDesignFactory()
    author = UserFactory()
    for body in ("", "x" * 2001):
        with pytest.raises(IntegrityError), db_session.begin_nested():
            db_session.add(Comment(design_id=design.id, author_id=author.id, body=body))


# --- One level of replies ------------------------------------------------------------------------


def test_a_reply_joins_its_thread_and_tells_the_comments_author(
    db_session: Session, clock: TestClock, notified: NotifySpy
) -> None:
    design = VotingDesignFactory()
    first, second = UserFactory(), UserFactory()
    top = _post(db_session, design, first, "What ink?", clock)
    clock.advance(timedelta(minutes=1))
    reply = _post(db_session, design, second, "Water-based.", clock, reply_to=top)
    assert reply.parent_id == top.id
    assert _count(db_session, design) == 2
    assert notified.calls[1] == {
        "design_id": design.id,
        "comment_id": reply.id,
        "author_id": second.id,
        "reply_to_author_id": first.id,
    }


def test_a_reply_to_a_reply_goes_under_the_top_level_comment(
    db_session: Session, notified: NotifySpy
) -> None:
    design = VotingDesignFactory()
    ana, ben, cleo = UserFactory(), UserFactory(), UserFactory()
    top = _post(db_session, design, ana)
    reply = _post(db_session, design, ben, reply_to=top)
    answer = _post(db_session, design, cleo, "@ben agreed", reply_to=reply)
    # One level deep: the answer sits beside the reply it answers, under the same comment...
    assert answer.parent_id == top.id
    # ...and the one answered (ben), not the thread's author, is the one told.
    assert notified.calls[2]["reply_to_author_id"] == ben.id
    assert notified.calls[2]["comment_id"] == answer.id
    assert _count(db_session, design) == 3


def test_replies_are_refused_in_a_hidden_thread(db_session: Session, notified: NotifySpy) -> None:
    design = VotingDesignFactory()
    top = _post(db_session, design, UserFactory())
    reply = _post(db_session, design, UserFactory(), reply_to=top)
    comments.hide(db_session, top, StaffFactory(), "Insults.", now=TEST_START)
    for target in (top, reply):
        with pytest.raises(CommentRefused) as refused:
            _post(db_session, design, UserFactory(), reply_to=target)
        assert refused.value.status == 409
        assert refused.value.message == "This comment was hidden by our team and takes no replies."
    assert len(notified.calls) == 2
    assert _count(db_session, design) == 1  # the reply; the hidden comment is not counted


def test_a_reply_must_answer_a_comment_of_the_same_design(db_session: Session) -> None:
    elsewhere = _post(db_session, VotingDesignFactory(), UserFactory())
    design = VotingDesignFactory()
    with pytest.raises(CommentRefused) as refused:
        _post(db_session, design, UserFactory(), reply_to=elsewhere)
    assert refused.value.status == 422
    assert _count(db_session, design) == 0


# --- The edit window -----------------------------------------------------------------------------


def test_edit_within_the_window(db_session: Session, clock: TestClock) -> None:
    author = UserFactory()
    comment = _post(db_session, VotingDesignFactory(), author, "Frist!", clock)
    clock.advance(timedelta(minutes=3))
    comments.edit(db_session, comment, author, " First! ", now=clock.now(), edit_minutes=15)
    stored = db_session.get_one(Comment, comment.id)
    assert stored.body == "First!"
    assert stored.edited_at == TEST_START + timedelta(minutes=3)


def test_saving_the_same_text_is_not_an_edit(db_session: Session, clock: TestClock) -> None:
    author = UserFactory()
    comment = _post(db_session, VotingDesignFactory(), author, "Same.", clock)
    comments.edit(db_session, comment, author, "Same.  ", now=clock.now(), edit_minutes=15)
    assert db_session.get_one(Comment, comment.id).edited_at is None


@pytest.mark.parametrize(
    ("after", "allowed"),
    [
        (timedelta(0), True),
        (timedelta(minutes=14, seconds=59, microseconds=999999), True),
        # The deadline itself is too late: "for 15 minutes" ends at 15:00.
        (timedelta(minutes=15), False),
        (timedelta(minutes=15, microseconds=1), False),
        (timedelta(days=2), False),
    ],
)
def test_the_edit_window_ends_at_exactly_15_minutes(
    db_session: Session, clock: TestClock, after: timedelta, allowed: bool
) -> None:
    author = UserFactory()
    comment = _post(db_session, VotingDesignFactory(), author, "Before.", clock)
    now = clock.advance(after)
    assert comments.can_edit(comment, author, now=now, edit_minutes=15) is allowed
    if allowed:
        comments.edit(db_session, comment, author, "After.", now=now, edit_minutes=15)
        assert db_session.get_one(Comment, comment.id).body == "After."
        return
    with pytest.raises(CommentRefused) as refused:
        comments.edit(db_session, comment, author, "After.", now=now, edit_minutes=15)
    assert refused.value.status == 409
    assert refused.value.message == (
        "Comments can be edited for 15 minutes after posting; this one can no longer be changed."
    )
    assert db_session.get_one(Comment, comment.id).body == "Before."


def test_the_window_is_a_setting(db_session: Session, clock: TestClock) -> None:
    author = UserFactory()
    comment = _post(db_session, VotingDesignFactory(), author, clock=clock)
    now = clock.advance(timedelta(minutes=20))
    assert comments.can_edit(comment, author, now=now, edit_minutes=15) is False
    assert comments.can_edit(comment, author, now=now, edit_minutes=30) is True


def test_only_the_author_edits(db_session: Session, clock: TestClock) -> None:
    comment = _post(db_session, VotingDesignFactory(), UserFactory(), "Mine.", clock)
    for other in (UserFactory(), StaffFactory()):
        assert comments.can_edit(comment, other, now=clock.now(), edit_minutes=15) is False
        with pytest.raises(CommentRefused) as refused:
            comments.edit(db_session, comment, other, "Yours.", now=clock.now(), edit_minutes=15)
        assert (refused.value.status, refused.value.message) == (
            403,
            "Only its author can edit a comment.",
        )
    assert comments.can_edit(comment, None, now=clock.now(), edit_minutes=15) is False
    assert db_session.get_one(Comment, comment.id).body == "Mine."


def test_hidden_comments_cannot_be_edited(db_session: Session, clock: TestClock) -> None:
    author = UserFactory()
    comment = _post(db_session, VotingDesignFactory(), author, "Rude.", clock)
    comments.hide(db_session, comment, StaffFactory(), "Rude.", now=clock.now())
    assert comments.can_edit(comment, author, now=clock.now(), edit_minutes=15) is False
    with pytest.raises(CommentRefused) as refused:
        comments.edit(db_session, comment, author, "Nice.", now=clock.now(), edit_minutes=15)
    assert refused.value.status == 409


def test_an_edit_to_nothing_is_refused(db_session: Session, clock: TestClock) -> None:
    author = UserFactory()
    comment = _post(db_session, VotingDesignFactory(), author, "Keep.", clock)
    with pytest.raises(CommentRefused) as refused:
        comments.edit(db_session, comment, author, "  ", now=clock.now(), edit_minutes=15)
    assert refused.value.status == 422
    assert db_session.get_one(Comment, comment.id).body == "Keep."


# --- Reports -------------------------------------------------------------------------------------


def _reports(session: Session) -> list[tuple[int, int, str, bool]]:
    rows = session.scalars(select(CommentReport).order_by(CommentReport.id))
    return [(r.comment_id, r.reporter_id, r.reason.value, r.resolved) for r in rows]


def test_a_member_reports_a_comment_once(db_session: Session) -> None:
    comment = _post(db_session, VotingDesignFactory(), UserFactory())
    reporter, other = UserFactory(), UserFactory()
    comments.report(db_session, comment, reporter, ReportReason.SPAM, " Ads ", now=TEST_START)
    with pytest.raises(CommentRefused) as refused:
        comments.report(db_session, comment, reporter, ReportReason.OFFENSIVE, now=TEST_START)
    assert refused.value.status == 409
    assert refused.value.message == (
        "You have already reported this comment; our team will look at it."
    )
    comments.report(db_session, comment, other, ReportReason.OTHER, now=TEST_START)
    assert _reports(db_session) == [
        (comment.id, reporter.id, "spam", False),
        (comment.id, other.id, "other", False),
    ]
    assert db_session.scalars(select(CommentReport.note)).first() == "Ads"


def test_the_database_keeps_one_report_per_member_per_comment(db_session: Session) -> None:
    comment = _post(db_session, VotingDesignFactory(), UserFactory())
    reporter = UserFactory()
    db_session.add(
        CommentReport(comment_id=comment.id, reporter_id=reporter.id, reason=ReportReason.SPAM)
    )
    db_session.flush()
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(
            CommentReport(comment_id=comment.id, reporter_id=reporter.id, reason=ReportReason.SPAM)
        )


def test_members_cannot_report_their_own_comment(db_session: Session) -> None:
    author = UserFactory()
    comment = _post(db_session, VotingDesignFactory(), author)
    with pytest.raises(CommentRefused) as refused:
        comments.report(db_session, comment, author, ReportReason.SPAM, now=TEST_START)
    assert (refused.value.status, refused.value.message) == (
        403,
        "You cannot report your own comment.",
    )
    assert _reports(db_session) == []


def test_a_hidden_comment_takes_no_report(db_session: Session) -> None:
    comment = _post(db_session, VotingDesignFactory(), UserFactory())
    comments.hide(db_session, comment, StaffFactory(), "Spam.", now=TEST_START)
    with pytest.raises(CommentRefused) as refused:
        comments.report(db_session, comment, UserFactory(), ReportReason.SPAM, now=TEST_START)
    assert refused.value.status == 409
    assert _reports(db_session) == []


def test_a_report_note_holds_500_characters(db_session: Session) -> None:
    comment = _post(db_session, VotingDesignFactory(), UserFactory())
    comments.report(
        db_session, comment, UserFactory(), ReportReason.OTHER, "n" * 500, now=TEST_START
    )
    with pytest.raises(CommentRefused) as refused:
        comments.report(
            db_session, comment, UserFactory(), ReportReason.OTHER, "n" * 501, now=TEST_START
        )
    assert refused.value.status == 422
    assert len(_reports(db_session)) == 1


# --- Staff: hide, restore, dismiss ---------------------------------------------------------------


def test_hide_and_restore_keep_the_count_exact(db_session: Session, clock: TestClock) -> None:
    design = VotingDesignFactory()
    staff = StaffFactory()
    top = [_post(db_session, design, UserFactory(), f"Comment {n}", clock) for n in range(3)]
    replies = [_post(db_session, design, UserFactory(), reply_to=top[0]) for _ in range(2)]
    assert _count(db_session, design) == 5

    assert comments.hide(db_session, replies[0], staff, "Off topic.", now=clock.now()) is True
    assert _count(db_session, design) == 4
    # A top-level comment hides alone: its replies stay visible and counted.
    assert comments.hide(db_session, top[0], staff, "Insults.", now=clock.now()) is True
    assert _count(db_session, design) == 3
    # Hiding twice changes nothing (two staff at once, or a double click).
    assert comments.hide(db_session, top[0], staff, "Again.", now=clock.now()) is False
    assert _count(db_session, design) == 3

    assert comments.restore(db_session, top[0], staff, now=clock.now()) is True
    assert _count(db_session, design) == 4
    assert comments.restore(db_session, top[0], staff, now=clock.now()) is False
    assert _count(db_session, design) == 4
    assert _visible_rows(db_session, design) == 4


def test_hiding_records_who_when_and_why(db_session: Session, clock: TestClock) -> None:
    comment = _post(db_session, VotingDesignFactory(), UserFactory(), clock=clock)
    staff = StaffFactory()
    later = clock.advance(timedelta(hours=2))
    comments.hide(db_session, comment, staff, "  Personal attack.\r\n", now=later)
    stored = db_session.get_one(Comment, comment.id)
    assert (stored.hidden, stored.hidden_by_id, stored.hidden_at, stored.hidden_reason) == (
        True,
        staff.id,
        later,
        "Personal attack.",
    )
    other = StaffFactory()
    restored_at = clock.advance(timedelta(minutes=5))
    comments.restore(db_session, stored, other, now=restored_at)
    stored = db_session.get_one(Comment, comment.id)
    assert (stored.hidden, stored.hidden_by_id, stored.hidden_at, stored.hidden_reason) == (
        False,
        None,
        None,
        "",
    )
    # The comment says how it stands now; the history keeps both decisions.
    history = db_session.scalars(
        select(CommentModeration).where(CommentModeration.comment_id == comment.id)
        .order_by(CommentModeration.id)
    ).all()  # fmt: skip
    assert [(m.action, m.actor_id, m.at, m.reason) for m in history] == [
        (CommentAction.HIDE, staff.id, later, "Personal attack."),
        (CommentAction.RESTORE, other.id, restored_at, ""),
    ]


def test_a_refused_hide_or_restore_records_nothing(db_session: Session, clock: TestClock) -> None:
    comment = _post(db_session, VotingDesignFactory(), UserFactory(), clock=clock)
    staff = StaffFactory()
    assert comments.restore(db_session, comment, staff, now=clock.now()) is False
    comments.hide(db_session, comment, staff, "Spam.", now=clock.now())
    assert comments.hide(db_session, comment, staff, "Spam again.", now=clock.now()) is False
    actions = db_session.scalars(select(CommentModeration.action)).all()
    assert actions == [CommentAction.HIDE]


@pytest.mark.parametrize("reason", ["", "   ", "r" * 501])
def test_hiding_needs_a_reason(db_session: Session, reason: str) -> None:
    design = VotingDesignFactory()
    comment = _post(db_session, design, UserFactory())
    with pytest.raises(CommentRefused) as refused:
        comments.hide(db_session, comment, StaffFactory(), reason, now=TEST_START)
    assert refused.value.status == 422
    assert db_session.get_one(Comment, comment.id).hidden is False
    assert _count(db_session, design) == 1


def test_hiding_resolves_the_reports_and_dismissing_keeps_the_comment(
    db_session: Session,
) -> None:
    design = VotingDesignFactory()
    staff = StaffFactory()
    rude, fine = _post(db_session, design, UserFactory()), _post(db_session, design, UserFactory())
    for comment in (rude, fine):
        for _ in range(2):
            comments.report(db_session, comment, UserFactory(), ReportReason.SPAM, now=TEST_START)
    later = TEST_START + timedelta(hours=1)
    comments.hide(db_session, rude, staff, "Spam.", now=later)
    assert comments.dismiss_reports(db_session, fine, staff, now=later) == 2
    assert comments.dismiss_reports(db_session, fine, staff, now=later) == 0
    rows = db_session.scalars(select(CommentReport)).all()
    assert [(r.resolved_at, r.resolved_by_id) for r in rows] == [(later, staff.id)] * 4
    assert db_session.get_one(Comment, fine.id).hidden is False
    assert _count(db_session, design) == 1
