"""The notifications page, the unread badge in the nav, marking read, and the preferences page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.designs.models import Design
from cocreate.voting import notifications
from cocreate.voting.notify_models import Notification, NotificationKind, NotificationPreference
from tests.accounts.factories import UserFactory
from tests.conftest import Auth
from tests.designs.factories import VotingDesignFactory
from tests.designs.test_gallery import count_queries

K = NotificationKind
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def note(
    session: Session,
    recipient: User,
    design: Design,
    kind: NotificationKind = K.COMMENT_ON_MY_DESIGN,
    *,
    actor: User | None = None,
    comment_id: int | None = None,
    minutes: int = 0,
    read: bool = False,
) -> Notification:
    at = T0 + timedelta(minutes=minutes)
    row = Notification(
        recipient_id=recipient.id,
        kind=kind,
        design_id=design.id,
        actor_id=actor.id if actor else None,
        comment_id=comment_id,
        created_at=at,
        read_at=at if read else None,
    )
    session.add(row)
    session.flush()
    return row


def unread(session: Session, user: User) -> int:
    rows = session.scalars(
        select(Notification).where(
            Notification.recipient_id == user.id, Notification.read_at.is_(None)
        )
    )
    return len(list(rows))


def test_the_nav_shows_the_unread_count(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    me = UserFactory(email="me@example.test")
    design = VotingDesignFactory(designer=me)
    note(db_session, me, design)
    note(db_session, me, design, minutes=1)
    note(db_session, me, design, minutes=2, read=True)
    note(db_session, UserFactory(), design)  # someone else's
    auth.login("me@example.test")
    page = client.get("/gallery").get_data(as_text=True)
    assert re.search(
        r'href="/notifications">Notifications <span class="badge" aria-hidden="true">2</span>'
        r'<span class="visually-hidden">\(2 unread\)</span></a>',
        page,
    )


def test_no_badge_without_unread_and_no_link_for_visitors(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    assert 'href="/notifications"' not in client.get("/gallery").get_data(as_text=True)
    UserFactory(email="me@example.test")
    auth.login("me@example.test")
    page = client.get("/gallery").get_data(as_text=True)
    assert 'href="/notifications">Notifications</a>' in page


def test_the_count_is_one_query_per_page_and_none_for_visitors(
    client: FlaskClient, auth: Auth, db_session: Session, engine: Engine
) -> None:
    with count_queries(engine) as anonymous:
        assert client.get("/gallery").status_code == 200
    assert [s for s in anonymous if "notifications" in s] == []
    me = UserFactory(email="me@example.test")
    note(db_session, me, VotingDesignFactory(designer=me))
    auth.login("me@example.test")
    with count_queries(engine) as member:
        assert client.get("/gallery").status_code == 200
    counts = [s for s in member if "FROM notifications" in s]
    assert len(counts) == 1
    assert counts[0].lstrip().startswith("SELECT count(*)")


def test_the_list_is_newest_first_and_links_through(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    me = UserFactory(email="me@example.test")
    ari = UserFactory(display_name="Ari")
    tide = VotingDesignFactory(designer=me, title="Tide")
    dune = VotingDesignFactory(
        designer=me, title="Dune", vote_count=4, score_sum=18, buy_intent_count=1
    )
    old = note(db_session, me, tide, actor=ari, comment_id=9, minutes=0)
    note(db_session, me, dune, K.VOTING_CLOSED, minutes=5)
    auth.login("me@example.test")
    page = client.get("/notifications").get_data(as_text=True)
    closed = (
        "Voting on your design “Dune” has closed: "
        "4 votes, average 4.5 out of 5, 1 member would buy it."
    )
    commented = "Ari commented on your design “Tide”."
    assert page.index(closed) < page.index(commented)
    assert f'href="/notifications/{old.id}"' in page
    response = client.get(f"/notifications/{old.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/designs/{tide.id}#comment-9"
    db_session.expire_all()
    assert db_session.get_one(Notification, old.id).read_at is not None
    assert unread(db_session, me) == 1


def test_the_list_is_in_the_readers_language(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    me = UserFactory(email="me@example.test", locale="fr")
    note(db_session, me, VotingDesignFactory(designer=me, title="Tide"), K.DESIGN_VOTING_OPEN)
    auth.login("me@example.test")
    page = client.get("/notifications").get_data(as_text=True)
    assert "Votre création «\u00a0Tide\u00a0» est ouverte au vote." in page
    assert "Tout marquer comme lu" in page


def test_pages_of_thirty(client: FlaskClient, auth: Auth, db_session: Session) -> None:
    me = UserFactory(email="me@example.test")
    design = VotingDesignFactory(designer=me)
    first = note(db_session, me, design, K.DESIGN_APPROVED, minutes=0)
    for minute in range(1, 31):
        note(db_session, me, design, minutes=minute)
    auth.login("me@example.test")
    one = client.get("/notifications").get_data(as_text=True)
    links = re.compile(r'href="/notifications/\d+"')
    assert len(links.findall(one)) == 30
    assert f'href="/notifications/{first.id}"' not in one
    assert 'href="/notifications?page=2">Next</a>' in one
    two = client.get("/notifications?page=2").get_data(as_text=True)
    assert len(links.findall(two)) == 1
    assert f'href="/notifications/{first.id}"' in two
    assert 'href="/notifications?page=1">Previous</a>' in two
    assert client.get("/notifications?page=-4").status_code == 200


def test_mark_all_read_marks_only_mine(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    me = UserFactory(email="me@example.test")
    other = UserFactory()
    design = VotingDesignFactory(designer=me)
    note(db_session, me, design)
    note(db_session, me, design, minutes=1)
    note(db_session, other, design)
    auth.login("me@example.test")
    response = client.post("/notifications/read")
    assert response.status_code == 302 and response.headers["Location"] == "/notifications"
    assert unread(db_session, me) == 0
    assert unread(db_session, other) == 1
    page = client.get("/notifications").get_data(as_text=True)
    assert "All your notifications are marked read." in page
    assert 'class="badge"' not in page


def test_another_members_notification_is_not_found(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    owner = UserFactory()
    theirs = note(db_session, owner, VotingDesignFactory(designer=owner, title="Secret tide"))
    UserFactory(email="me@example.test")
    auth.login("me@example.test")
    assert client.get(f"/notifications/{theirs.id}").status_code == 404
    assert client.get(f"/notifications/{theirs.id + 1000}").status_code == 404
    assert "Secret tide" not in client.get("/notifications").get_data(as_text=True)
    assert unread(db_session, owner) == 1


def test_preferences_page_saves_choices(
    client: FlaskClient, auth: Auth, db_session: Session, app: Flask
) -> None:
    me = UserFactory(email="me@example.test")
    auth.login("me@example.test")
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert page.count('type="checkbox"') == 10
    assert page.count("checked") == 10
    for linking in ("/notifications", "/settings"):
        assert 'href="/notifications/settings"' in client.get(linking).get_data(as_text=True)
    # Every box but "someone comments on one of my designs" and the followed designers'.
    ticked = {
        kind.value: "y"
        for kind in K
        if kind not in (K.COMMENT_ON_MY_DESIGN, K.FOLLOWED_DESIGNER_NEW_DESIGN)
    }
    response = client.post("/notifications/settings", data=ticked)
    assert response.status_code == 302
    expected = dict.fromkeys(K, True) | {
        K.COMMENT_ON_MY_DESIGN: False,
        K.FOLLOWED_DESIGNER_NEW_DESIGN: False,
    }
    assert notifications.email_preferences(db_session, me.id) == expected
    rows = db_session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == me.id)
    )
    assert len(list(rows)) == 10
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "Your notification choices are saved." in page
    assert page.count("checked") == 8
