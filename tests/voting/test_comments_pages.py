"""Comments through the design page, as plain forms: posting, replying, editing, reporting,
and every refusal answering the design page again with its message and a 4xx status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.core.clock import TestClock
from cocreate.designs.models import Design, DesignState
from cocreate.voting.comment_models import Comment, CommentReport
from tests.accounts.factories import StaffFactory, UserFactory
from tests.conftest import TEST_START
from tests.designs.factories import DesignFactory, VotingDesignFactory
from tests.voting.comment_helpers import (
    CommentFactory,
    NotifySpy,
    csrf_token,
    spy_on_notifications,
)


@pytest.fixture
def notified(monkeypatch: pytest.MonkeyPatch) -> NotifySpy:
    return spy_on_notifications(monkeypatch)


@pytest.fixture
def member(db_session: Session, auth: Any) -> Any:
    user = UserFactory(email="mia@example.test", display_name="Mia")
    auth.login("mia@example.test")
    return user


def _rows(session: Session) -> list[tuple[int | None, str]]:
    rows = session.scalars(select(Comment).order_by(Comment.id))
    return [(c.parent_id, c.body) for c in rows]


def _count(session: Session, design: Design) -> int:
    session.expire_all()
    return session.get_one(Design, design.id).comment_count


# --- Posting and replying ------------------------------------------------------------------------


def test_a_member_comments_and_sees_it_on_the_page(
    client: FlaskClient, db_session: Session, member: Any, notified: NotifySpy
) -> None:
    design = VotingDesignFactory()
    response = client.post(f"/designs/{design.id}/comments", data={"body": "Bold <b>palette</b>!"})
    assert response.status_code == 302
    comment = db_session.scalars(select(Comment)).one()
    assert response.headers["Location"] == f"/designs/{design.id}#comment-{comment.id}"
    assert _count(db_session, design) == 1
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "Your comment is posted." in page
    assert "Bold &lt;b&gt;palette&lt;/b&gt;!" in page
    assert "1 comment</span>" in page
    assert notified.calls == [
        {
            "design_id": design.id,
            "comment_id": comment.id,
            "author_id": member.id,
            "reply_to_author_id": None,
        }
    ]


def test_a_reply_goes_under_its_comment_and_notifies_with_the_right_ids(
    client: FlaskClient, db_session: Session, member: Any, notified: NotifySpy
) -> None:
    design = VotingDesignFactory()
    other = UserFactory()
    top = CommentFactory(design=design, author=other, body="Which font?")
    response = client.post(f"/comments/{top.id}/replies", data={"body": "Futura, I think."})
    assert response.status_code == 302
    reply = db_session.scalars(select(Comment).where(Comment.parent_id == top.id)).one()
    assert response.headers["Location"] == f"/designs/{design.id}#comment-{reply.id}"
    assert notified.calls == [
        {
            "design_id": design.id,
            "comment_id": reply.id,
            "author_id": member.id,
            "reply_to_author_id": other.id,
        }
    ]
    # A reply to that reply stays one level deep, under the same comment.
    assert client.post(f"/comments/{reply.id}/replies", data={"body": "Yes."}).status_code == 302
    assert _rows(db_session) == [
        (None, "Which font?"),
        (top.id, "Futura, I think."),
        (top.id, "Yes."),
    ]
    assert notified.calls[1]["reply_to_author_id"] == member.id
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    replies = page[page.index('class="comment-replies"') :]
    assert replies.index("Futura, I think.") < replies.index("Yes.")
    # One reply form per thread, none under replies.
    assert page.count('action="/comments/') - page.count("/report") == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write something before posting."),
        ("  \n\t ", "Write something before posting."),
        ("x" * 2001, "A comment holds at most 2000 characters; yours has 2001."),
    ],
)
def test_a_refused_comment_shows_the_page_again_with_the_text_and_422(
    client: FlaskClient, db_session: Session, member: Any, body: str, message: str
) -> None:
    design = VotingDesignFactory(title="Tide")
    response = client.post(f"/designs/{design.id}/comments", data={"body": body})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<h1>Tide</h1>" in page  # the design page itself
    assert page.count(message) == 2  # the flash at the top, and beside the field
    assert 'id="comment-body" name="body" required maxlength="2000" aria-invalid="true"' in page
    if body.strip():
        assert f">{body}</textarea>" in page  # nothing typed is lost
    assert _rows(db_session) == []
    assert _count(db_session, design) == 0


def test_a_refused_reply_reopens_its_own_box(
    client: FlaskClient, db_session: Session, member: Any
) -> None:
    design = VotingDesignFactory()
    first, second = CommentFactory(design=design), CommentFactory(design=design)
    response = client.post(f"/comments/{second.id}/replies", data={"body": "y" * 2001})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<details class="reply-box" open>' in page
    assert page.index(f'id="reply-{second.id}-body"') > page.index(
        '<details class="reply-box" open>'
    )
    assert f'id="reply-{first.id}-body" name="body" required maxlength="2000">' in page
    assert "y" * 2001 in page
    assert len(_rows(db_session)) == 2


def test_2000_characters_are_accepted(
    client: FlaskClient, db_session: Session, member: Any
) -> None:
    design = VotingDesignFactory()
    assert (
        client.post(f"/designs/{design.id}/comments", data={"body": "z" * 2000}).status_code == 302
    )
    assert _rows(db_session) == [(None, "z" * 2000)]


def test_unverified_members_are_refused_with_403(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    UserFactory(email="new@example.test", email_verified_at=None)
    auth.login("new@example.test")
    design = VotingDesignFactory()
    top = CommentFactory(design=design)
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "Confirm your email address to comment: open the link we sent you." in page
    assert 'action="/designs/' not in page.split('id="discussion"')[1]
    for url in (f"/designs/{design.id}/comments", f"/comments/{top.id}/replies"):
        response = client.post(url, data={"body": "Hello"})
        assert response.status_code == 403
        assert "Confirm your email address before you comment" in response.get_data(as_text=True)
    assert len(_rows(db_session)) == 1


def test_visitors_are_sent_to_log_in(client: FlaskClient, db_session: Session) -> None:
    design = VotingDesignFactory()
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert f'href="/login?next=/designs/{design.id}">Log in to comment</a>' in page
    assert "<textarea" not in page
    response = client.post(f"/designs/{design.id}/comments", data={"body": "Hi"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert _rows(db_session) == []


def test_designs_closed_to_comments(
    client: FlaskClient, auth: Any, db_session: Session, member: Any
) -> None:
    draft = DesignFactory(state=DesignState.DRAFT)
    # Someone else's draft does not exist for this member.
    assert client.post(f"/designs/{draft.id}/comments", data={"body": "Hi"}).status_code == 404
    # Staff see a removed design, with its earlier comments, but nobody can add one.
    removed = DesignFactory(state=DesignState.REMOVED, state_reason="Copied.")
    CommentFactory(design=removed, body="Looks copied.")
    auth.logout()
    StaffFactory(email="sam@example.test")
    auth.login("sam@example.test")
    page = client.get(f"/designs/{removed.id}").get_data(as_text=True)
    assert "Looks copied." in page and 'id="comment-body"' not in page
    response = client.post(f"/designs/{removed.id}/comments", data={"body": "Hi"})
    assert response.status_code == 409
    assert "This design is not open to comments." in response.get_data(as_text=True)
    # A draft page has no discussion at all.
    own = DesignFactory(state=DesignState.DRAFT)
    assert 'id="discussion"' not in client.get(f"/designs/{own.id}").get_data(as_text=True)
    assert len(_rows(db_session)) == 1


def test_unknown_comments_and_designs_are_404(client: FlaskClient, member: Any) -> None:
    assert client.post("/designs/999/comments", data={"body": "Hi"}).status_code == 404
    assert client.post("/comments/999/replies", data={"body": "Hi"}).status_code == 404
    assert client.get("/comments/999/edit").status_code == 404
    assert client.post("/comments/999/report", data={"reason": "spam"}).status_code == 404


# --- What the discussion shows -------------------------------------------------------------------


def test_the_designers_comments_and_replies_carry_a_badge(
    client: FlaskClient, db_session: Session
) -> None:
    designer = UserFactory(display_name="Dana")
    design = VotingDesignFactory(designer=designer)
    fan = UserFactory(display_name="Fan")
    top = CommentFactory(design=design, author=fan, body="Love it")
    CommentFactory(design=design, author=designer, parent_id=top.id, body="Thanks!")
    CommentFactory(design=design, author=designer, body="Update: new colours.")
    CommentFactory(design=design, author=fan, parent_id=top.id, body="Welcome")
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    discussion = page[page.index('id="discussion"') :]
    assert discussion.count('<span class="badge designer-badge">Designer</span>') == 2
    for name, badge in (("Dana", True), ("Fan", False)):
        for chunk in discussion.split(f'">{name}</a>')[1:]:
            head = chunk[: chunk.index("</header>")]
            assert ("designer-badge" in head) is badge
    assert f'<a class="comment-author" href="/designers/{fan.id}">Fan</a>' in discussion
    # Oldest first.
    assert discussion.index("Love it") < discussion.index("Update: new colours.")


def test_links_in_comments_are_safe(client: FlaskClient, db_session: Session) -> None:
    design = VotingDesignFactory()
    CommentFactory(
        design=design,
        body='See https://example.test/a?b=1&c="x" and javascript:alert(1) <script>x</script>',
    )
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert (
        '<a href="https://example.test/a?b=1&amp;c=" rel="nofollow ugc noopener"'
        ' target="_blank">https://example.test/a?b=1&amp;c=</a>&#34;x&#34;'
        " and javascript:alert(1) &lt;script&gt;x&lt;/script&gt;"
    ) in page
    assert "<script>x" not in page


@pytest.mark.parametrize(
    ("locale", "timezone", "shown"),
    [
        ("en", "UTC", "3/2/26, 9:00\u202fAM"),
        ("en", "America/New_York", "3/2/26, 4:00\u202fAM"),
        ("fr", "Europe/Paris", "02/03/2026 10:00"),
    ],
)
def test_times_are_in_the_readers_language_and_zone(
    client: FlaskClient, auth: Any, db_session: Session, locale: str, timezone: str, shown: str
) -> None:
    UserFactory(email="reader@example.test", locale=locale, timezone=timezone)
    auth.login("reader@example.test")
    design = VotingDesignFactory()
    CommentFactory(design=design, created_at=TEST_START)
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert f'<time class="muted" datetime="2026-03-02T09:00:00+00:00">{shown}</time>' in page


def test_the_discussion_in_french(client: FlaskClient, auth: Any, db_session: Session) -> None:
    UserFactory(email="fr@example.test", locale="fr")
    auth.login("fr@example.test")
    design = VotingDesignFactory(comment_count=2)
    for _ in range(2):
        CommentFactory(design=design)
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "2 commentaires</span>" in page
    assert "Publier le commentaire" in page


# --- Editing -------------------------------------------------------------------------------------


def test_the_author_edits_within_15_minutes(
    client: FlaskClient, db_session: Session, member: Any, clock: TestClock
) -> None:
    design = VotingDesignFactory()
    comment = CommentFactory(
        design=design, author=member, body="Nice colurs", created_at=TEST_START
    )
    clock.advance(timedelta(minutes=14, seconds=59))
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert f'<a href="/comments/{comment.id}/edit">Edit</a>' in page
    form = client.get(f"/comments/{comment.id}/edit")
    assert form.status_code == 200
    assert ">Nice colurs</textarea>" in form.get_data(as_text=True)
    response = client.post(f"/comments/{comment.id}/edit", data={"body": "Nice colours"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/designs/{design.id}#comment-{comment.id}"
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "Nice colours" in page and "(edited)" in page
    db_session.expire_all()
    assert db_session.get_one(Comment, comment.id).edited_at == TEST_START + timedelta(
        minutes=14, seconds=59
    )


def test_at_15_minutes_editing_is_over(
    client: FlaskClient, db_session: Session, member: Any, clock: TestClock
) -> None:
    design = VotingDesignFactory()
    comment = CommentFactory(design=design, author=member, body="Typo", created_at=TEST_START)
    clock.advance(timedelta(minutes=15))
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert f"/comments/{comment.id}/edit" not in page
    message = (
        "Comments can be edited for 15 minutes after posting; this one can no longer be changed."
    )
    for response in (
        client.get(f"/comments/{comment.id}/edit"),
        client.post(f"/comments/{comment.id}/edit", data={"body": "Fixed"}),
    ):
        assert response.status_code == 409
        assert message in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get_one(Comment, comment.id).body == "Typo"


def test_editing_another_members_comment_is_403(
    client: FlaskClient, db_session: Session, member: Any, clock: TestClock
) -> None:
    comment = CommentFactory(body="Theirs", created_at=TEST_START)
    assert client.get(f"/comments/{comment.id}/edit").status_code == 403
    assert client.post(f"/comments/{comment.id}/edit", data={"body": "Mine"}).status_code == 403
    db_session.expire_all()
    assert db_session.get_one(Comment, comment.id).body == "Theirs"


def test_an_edit_to_nothing_is_422_on_the_edit_page(
    client: FlaskClient, db_session: Session, member: Any, clock: TestClock
) -> None:
    comment = CommentFactory(author=member, body="Keep me", created_at=TEST_START)
    response = client.post(f"/comments/{comment.id}/edit", data={"body": " "})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<h1>Edit your comment</h1>" in page and "Write something before posting." in page
    db_session.expire_all()
    assert db_session.get_one(Comment, comment.id).body == "Keep me"


# --- Reporting -----------------------------------------------------------------------------------


def test_a_member_reports_a_comment_once(
    client: FlaskClient, db_session: Session, member: Any
) -> None:
    design = VotingDesignFactory()
    comment = CommentFactory(design=design, body="Buy cheap pills")
    data = {"reason": "spam", "note": "Ads."}
    response = client.post(f"/comments/{comment.id}/report", data=data)
    assert response.status_code == 302
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "Thank you: our team will look at this comment." in page
    assert "You reported this comment." in page
    assert f'action="/comments/{comment.id}/report"' not in page
    again = client.post(f"/comments/{comment.id}/report", data={"reason": "offensive"})
    assert again.status_code == 409
    assert "You have already reported this comment; our team will look at it." in again.get_data(
        as_text=True
    )
    reports = db_session.scalars(select(CommentReport)).all()
    assert [(r.reporter_id, r.reason.value, r.note) for r in reports] == [
        (member.id, "spam", "Ads.")
    ]


def test_reporting_ones_own_comment_is_403(
    client: FlaskClient, db_session: Session, member: Any
) -> None:
    design = VotingDesignFactory()
    comment = CommentFactory(design=design, author=member)
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert f'action="/comments/{comment.id}/report"' not in page
    response = client.post(f"/comments/{comment.id}/report", data={"reason": "spam"})
    assert response.status_code == 403
    assert "You cannot report your own comment." in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(CommentReport)) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose a reason."),
        ({"reason": ""}, "Choose a reason."),
        ({"reason": "boring"}, "Not a valid choice."),
        ({"reason": "other", "note": "n" * 501}, "Field cannot be longer than 500 characters."),
    ],
)
def test_a_report_needs_a_known_reason(
    client: FlaskClient, db_session: Session, member: Any, data: dict[str, str], message: str
) -> None:
    comment = CommentFactory()
    response = client.post(f"/comments/{comment.id}/report", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(CommentReport)) == 0


# --- CSRF and the rate limit ---------------------------------------------------------------------


def test_comment_forms_need_the_csrf_token(
    app: Flask, client: FlaskClient, db_session: Session, member: Any
) -> None:
    design = VotingDesignFactory()
    comment = CommentFactory(design=design, author=member, body="Mine", created_at=TEST_START)
    other = CommentFactory(design=design)
    app.config["WTF_CSRF_ENABLED"] = True
    for url, data in (
        (f"/designs/{design.id}/comments", {"body": "Hi"}),
        (f"/comments/{other.id}/replies", {"body": "Hi"}),
        (f"/comments/{comment.id}/edit", {"body": "Changed"}),
        (f"/comments/{other.id}/report", {"reason": "spam"}),
    ):
        response = client.post(url, data=data)
        assert response.status_code == 400, url
        assert "This form has expired" in response.get_data(as_text=True)
    assert len(_rows(db_session)) == 2
    assert db_session.scalar(select(func.count()).select_from(CommentReport)) == 0
    token = csrf_token(client.get(f"/designs/{design.id}").get_data(as_text=True))
    response = client.post(
        f"/designs/{design.id}/comments", data={"body": "Hi", "csrf_token": token}
    )
    assert response.status_code == 302
    assert len(_rows(db_session)) == 3


@pytest.mark.parametrize("app_overrides", [{"RATELIMIT_COMMENT": "2 per hour"}])
def test_comments_and_replies_share_a_rate_limit_per_account(
    client: FlaskClient, auth: Any, db_session: Session, member: Any, app_overrides: dict[str, Any]
) -> None:
    design = VotingDesignFactory()
    top = CommentFactory(design=design)
    assert client.post(f"/designs/{design.id}/comments", data={"body": "One"}).status_code == 302
    # A refused comment stored nothing and is not counted.
    assert client.post(f"/designs/{design.id}/comments", data={"body": ""}).status_code == 422
    assert client.post(f"/comments/{top.id}/replies", data={"body": "Two"}).status_code == 302
    third = client.post(f"/designs/{design.id}/comments", data={"body": "Three"})
    assert third.status_code == 429
    assert "Too many attempts" in third.get_data(as_text=True)
    assert client.post(f"/comments/{top.id}/replies", data={"body": "Four"}).status_code == 429
    assert len(_rows(db_session)) == 3
    # Another member has a budget of their own.
    auth.logout()
    UserFactory(email="noa@example.test")
    auth.login("noa@example.test")
    assert client.post(f"/designs/{design.id}/comments", data={"body": "Five"}).status_code == 302
    assert len(_rows(db_session)) == 4
