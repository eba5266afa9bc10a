"""Staff moderation of comments (hide, restore, the report queue), what members see of a hidden
comment, comment counts on gallery cards, and a constant number of queries per discussion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from cocreate.core.db import now_utc
from cocreate.designs.models import Design
from cocreate.voting import comments
from cocreate.voting.comment_models import Comment, CommentReport, ReportReason
from tests.accounts.factories import StaffFactory, UserFactory
from tests.designs.factories import VotingDesignFactory
from tests.voting.comment_helpers import CommentFactory, count_queries


@pytest.fixture
def staff(db_session: Session, auth: Any) -> Any:
    user = StaffFactory(email="sam@example.test", display_name="Sam")
    auth.login("sam@example.test")
    return user


def _count(session: Session, design: Design) -> int:
    session.expire_all()
    return session.get_one(Design, design.id).comment_count


@pytest.fixture
def service(app: Flask) -> Callable[..., Any]:
    """Calls a service from the test, between requests, in a context of its own. Not
    `request_ctx`: a context left pushed would be shared by the test client's requests (its
    `g`, and the session kept there)."""

    def call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with app.test_request_context():
            return function(*args, **kwargs)

    return call


def _posted(
    service: Callable[..., Any], session: Session, design: Design, body: str, **kwargs: Any
) -> Comment:
    """Through the service, so the design's counter moves as in production."""
    author = kwargs.pop("author", None) or UserFactory()
    return service(comments.post, session, design, author, body, now=now_utc(), **kwargs)


# --- Hiding and restoring from the design page ---------------------------------------------------


def test_staff_hide_a_comment_from_the_design_page_and_restore_it(
    client: FlaskClient, db_session: Session, staff: Any, service: Callable[..., Any]
) -> None:
    design = VotingDesignFactory()
    rude = _posted(service, db_session, design, "You have no talent.")
    _posted(service, db_session, design, "Great contrast.")
    assert _count(db_session, design) == 2
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert f'action="/staff/comments/{rude.id}/hide"' in page

    response = client.post(f"/staff/comments/{rude.id}/hide", data={"reason": "Personal attack."})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/designs/{design.id}#comment-{rude.id}"
    assert _count(db_session, design) == 1
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "The comment is hidden; its reports are closed." in page
    # Staff still read it, with who hid it and why, and can restore it.
    assert "You have no talent." in page
    assert "Hidden by Sam, " in page and "Personal attack." in page
    assert f'action="/staff/comments/{rude.id}/restore"' in page
    assert "1 comment</span>" in page

    again = client.post(f"/staff/comments/{rude.id}/hide", data={"reason": "Twice."})
    assert again.status_code == 302
    assert _count(db_session, design) == 1
    assert "This comment was already hidden." in client.get(f"/designs/{design.id}").get_data(
        as_text=True
    )

    assert client.post(f"/staff/comments/{rude.id}/restore").status_code == 302
    assert _count(db_session, design) == 2
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "The comment is shown again." in page and "Personal attack." not in page


def test_hiding_without_a_reason_is_422(
    client: FlaskClient, db_session: Session, staff: Any, service: Callable[..., Any]
) -> None:
    design = VotingDesignFactory()
    comment = _posted(service, db_session, design, "Meh.")
    response = client.post(f"/staff/comments/{comment.id}/hide", data={"reason": "  "})
    assert response.status_code == 422
    assert "Give the reason for hiding this comment." in response.get_data(as_text=True)
    assert _count(db_session, design) == 1
    reports_page = client.post(
        f"/staff/comments/{comment.id}/hide", data={"reason": "", "back": "reports"}
    )
    assert reports_page.status_code == 422
    assert "<h1>Reported comments</h1>" in reports_page.get_data(as_text=True)


def test_what_members_visitors_and_the_author_see_of_a_hidden_comment(
    client: FlaskClient, auth: Any, db_session: Session, service: Callable[..., Any]
) -> None:
    design = VotingDesignFactory()
    author = UserFactory(email="ana@example.test")
    hidden = _posted(service, db_session, design, "Rude words here.", author=author)
    reply = _posted(service, db_session, design, "Calm down.", reply_to=hidden)
    service(comments.hide, db_session, hidden, StaffFactory(), "Insults.", now=now_utc())
    UserFactory(email="mo@example.test")

    for who in (None, "mo@example.test"):
        if who:
            auth.login(who)
        page = client.get(f"/designs/{design.id}").get_data(as_text=True)
        assert "This comment was hidden by our team." in page
        assert "Rude words here." not in page and "Insults." not in page
        # The thread stays readable: its reply is still there, but takes no new reply.
        assert "Calm down." in page
        assert f'action="/comments/{hidden.id}/replies"' not in page
        assert f'action="/comments/{hidden.id}/report"' not in page
        assert f'action="/comments/{reply.id}/report"' in page or who is None
        auth.logout()

    auth.login("ana@example.test")
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "Rude words here." in page
    assert "Hidden by our team; only you and our team see it. The reason:" in page
    assert "Insults." in page
    assert f"/staff/comments/{hidden.id}/restore" not in page
    assert f"/comments/{hidden.id}/edit" not in page  # still within 15 minutes, but hidden
    edit = client.get(f"/comments/{hidden.id}/edit")
    assert edit.status_code == 409
    assert "This comment was hidden by our team." in edit.get_data(as_text=True)
    response = client.post(f"/comments/{hidden.id}/replies", data={"body": "Sorry"})
    assert response.status_code == 409
    assert "This comment was hidden by our team and takes no replies." in response.get_data(
        as_text=True
    )


# --- The report queue ----------------------------------------------------------------------------


def test_the_report_queue_lists_reported_comments_oldest_report_first(
    client: FlaskClient, db_session: Session, staff: Any, service: Callable[..., Any]
) -> None:
    design = VotingDesignFactory(title="Tide")
    first, second, quiet = (
        _posted(service, db_session, design, "Spammy link"),
        _posted(service, db_session, design, "Mean words"),
        _posted(service, db_session, design, "Fine words"),
    )
    kim, lou = UserFactory(display_name="Kim"), UserFactory(display_name="Lou")
    service(comments.report, db_session, first, kim, ReportReason.SPAM, "Ads again.", now=now_utc())
    service(comments.report, db_session, second, kim, ReportReason.HARASSMENT, now=now_utc())
    service(comments.report, db_session, first, lou, ReportReason.OTHER, now=now_utc())
    db_session.commit()
    response = client.get("/staff/comments/reports")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.index("Spammy link") < page.index("Mean words")
    assert "Fine words" not in page and quiet.id
    assert "<strong>Spam or advertising</strong>" in page and "Ads again." in page
    assert "<strong>Harassment or insults</strong>" in page
    assert "<strong>Something else</strong>" in page
    assert page.count('class="card reported-comment"') == 2
    assert "on “Tide”" in page

    # Hide from the queue: back to the queue, the comment leaves it.
    response = client.post(
        f"/staff/comments/{second.id}/hide", data={"reason": "Harassment.", "back": "reports"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/staff/comments/reports"
    page = client.get("/staff/comments/reports").get_data(as_text=True)
    assert page.count('class="card reported-comment"') == 1
    # ...and is listed as recently hidden, where it can be restored.
    recent = page[page.index("Recently hidden") :]
    assert "Mean words" in recent and "Harassment." in recent
    assert f'action="/staff/comments/{second.id}/restore"' in recent

    # Dismiss: the reports close, the comment stays visible.
    response = client.post(f"/staff/comments/{first.id}/dismiss")
    assert response.status_code == 302
    page = client.get("/staff/comments/reports").get_data(as_text=True)
    assert "The reports are dismissed; the comment stays." in page
    assert "No reported comment is waiting." in page
    assert _count(db_session, design) == 2
    open_reports = db_session.scalars(
        select(CommentReport).where(CommentReport.resolved_at.is_(None))
    )
    assert open_reports.all() == []


def test_the_staff_desk_links_to_the_queue(client: FlaskClient, staff: Any) -> None:
    page = client.get("/staff/").get_data(as_text=True)
    assert '<a href="/staff/comments/reports">Reported comments</a>' in page


def test_members_cannot_moderate(client: FlaskClient, auth: Any, db_session: Session) -> None:
    comment = CommentFactory()
    UserFactory(email="mo@example.test")
    auth.login("mo@example.test")
    assert client.get("/staff/comments/reports").status_code == 403
    assert (
        client.post(f"/staff/comments/{comment.id}/hide", data={"reason": "x"}).status_code == 403
    )
    assert client.post(f"/staff/comments/{comment.id}/restore").status_code == 403
    assert client.post(f"/staff/comments/{comment.id}/dismiss").status_code == 403
    db_session.expire_all()
    assert db_session.get_one(Comment, comment.id).hidden is False


# --- Gallery cards -------------------------------------------------------------------------------


def test_gallery_cards_show_the_comment_count(
    client: FlaskClient, auth: Any, db_session: Session, service: Callable[..., Any]
) -> None:
    talked = VotingDesignFactory(title="Talked about")
    quiet = VotingDesignFactory(title="Quiet")
    one = VotingDesignFactory(title="One")
    top = _posted(service, db_session, talked, "A")
    _posted(service, db_session, talked, "B", reply_to=top)
    _posted(service, db_session, talked, "C")
    hidden = _posted(service, db_session, talked, "D")
    service(comments.hide, db_session, hidden, StaffFactory(), "Spam.", now=now_utc())
    _posted(service, db_session, one, "E")
    page = client.get("/gallery").get_data(as_text=True)
    cards = {
        design.title: page[page.index(f">{design.title}</h2>") :].split("</article>")[0]
        for design in (talked, quiet, one)
    }
    assert (
        '<span class="comment-count"><span aria-hidden="true">💬 3</span>'
        '<span class="visually-hidden">3 comments</span></span>'
    ) in cards["Talked about"]
    assert '<span class="visually-hidden">1 comment</span>' in cards["One"]
    assert "comment-count" not in cards["Quiet"]
    UserFactory(email="fr@example.test", locale="fr")
    auth.login("fr@example.test")
    page = client.get("/gallery").get_data(as_text=True)
    assert '<span class="visually-hidden">3 commentaires</span>' in page


# --- A constant number of queries ----------------------------------------------------------------


def _thread(design: Design, designer_too: bool = False) -> None:
    top = CommentFactory(design=design)
    CommentFactory(design=design, parent_id=top.id)
    if designer_too:
        CommentFactory(design=design, author=design.designer, parent_id=top.id)


@pytest.mark.parametrize("who", ["visitor", "member", "staff"])
def test_the_discussion_costs_the_same_queries_for_2_or_40_comments(
    client: FlaskClient, auth: Any, db_session: Session, who: str
) -> None:
    if who != "visitor":
        (StaffFactory if who == "staff" else UserFactory)(email="who@example.test")
        auth.login("who@example.test")
    staff = StaffFactory()
    design = VotingDesignFactory()
    _thread(design)
    db_session.commit()
    engine: Engine = db_session.get_bind().engine  # type: ignore[union-attr]
    with count_queries(engine) as few:
        assert client.get(f"/designs/{design.id}").status_code == 200
    for n in range(12):
        _thread(design, designer_too=n % 2 == 0)
    hidden = CommentFactory(design=design, hidden=True, hidden_at=now_utc(), hidden_by_id=staff.id)
    CommentFactory(design=design, parent_id=hidden.id)
    db_session.commit()
    with count_queries(engine) as many:
        page = client.get(f"/designs/{design.id}")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('<article class="comment') == 2 + 12 * 2 + 6 + 2
    assert len(many) == len(few), many
