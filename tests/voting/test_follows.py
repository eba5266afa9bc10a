"""Following designers: the buttons on a profile, idempotent follows, never oneself."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core.db import now_utc
from cocreate.voting import follows
from cocreate.voting.notify_models import Follow
from tests.accounts.factories import UserFactory
from tests.conftest import Auth


def follow_rows(session: Session) -> list[tuple[int, int]]:
    rows = session.scalars(select(Follow).order_by(Follow.follower_id, Follow.designer_id))
    return [(row.follower_id, row.designer_id) for row in rows]


def _log_in(auth: Auth) -> User:
    me = UserFactory(email="me@example.test")
    auth.login("me@example.test")
    return me


def test_follow_and_unfollow_are_idempotent(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    designer = UserFactory(display_name="Dana")
    me = _log_in(auth)
    for _ in range(2):
        response = client.post(f"/designers/{designer.id}/follow")
        assert response.status_code == 302
        assert response.headers["Location"] == f"/designers/{designer.id}"
        assert follow_rows(db_session) == [(me.id, designer.id)]
    page = client.get(f"/designers/{designer.id}").get_data(as_text=True)
    assert "You follow Dana." in page
    assert "1 follower" in page
    assert f'action="/designers/{designer.id}/unfollow"' in page
    assert "Unfollow Dana" in page
    for _ in range(2):
        response = client.post(f"/designers/{designer.id}/unfollow")
        assert response.status_code == 302
        assert follow_rows(db_session) == []
    page = client.get(f"/designers/{designer.id}").get_data(as_text=True)
    assert "0 followers" in page
    assert "Follow Dana" in page


def test_nobody_follows_themself(client: FlaskClient, auth: Auth, db_session: Session) -> None:
    me = _log_in(auth)
    response = client.post(f"/designers/{me.id}/follow")
    assert response.status_code == 422
    assert "You cannot follow yourself." in response.get_data(as_text=True)
    assert follow_rows(db_session) == []
    # Nor is a button offered on one's own profile.
    page = client.get(f"/designers/{me.id}").get_data(as_text=True)
    assert "0 followers" in page
    assert "/follow" not in page


def test_unknown_or_closed_accounts_cannot_be_followed(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    closed = UserFactory(is_active_account=False)
    _log_in(auth)
    assert client.post(f"/designers/{closed.id}/follow").status_code == 404
    assert client.post(f"/designers/{closed.id + 100}/follow").status_code == 404
    assert client.post(f"/designers/{closed.id + 100}/unfollow").status_code == 404
    assert follow_rows(db_session) == []


def test_visitors_are_invited_to_log_in(client: FlaskClient, db_session: Session) -> None:
    designer = UserFactory(display_name="Dana")
    fan = UserFactory()
    db_session.add(Follow(follower_id=fan.id, designer_id=designer.id))
    db_session.flush()
    page = client.get(f"/designers/{designer.id}").get_data(as_text=True)
    assert "1 follower" in page
    assert f'href="/login?next=/designers/{designer.id}">Log in to follow Dana</a>' in page
    response = client.post(f"/designers/{designer.id}/follow")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_settings_page_lists_whom_i_follow(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    zoe = UserFactory(display_name="Zoé")
    ada = UserFactory(display_name="Ada")
    UserFactory(display_name="Not followed")
    me = _log_in(auth)
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "You follow nobody yet." in page
    for designer in (zoe, ada):
        client.post(f"/designers/{designer.id}/follow")
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert page.index("Unfollow Ada") < page.index("Unfollow Zoé")
    assert "Not followed" not in page
    response = client.post(f"/designers/{ada.id}/unfollow", data={"next": "settings"})
    assert response.headers["Location"] == "/notifications/settings"
    assert follow_rows(db_session) == [(me.id, zoe.id)]


@pytest.mark.parametrize("app_overrides", [{"extra": {"WTF_CSRF_ENABLED": True}}])
def test_follow_needs_the_form_token(
    client: FlaskClient, auth: Auth, db_session: Session, app_overrides: dict[str, Any]
) -> None:
    designer = UserFactory()
    me = UserFactory(email="me@example.test")
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/login",
        data={"email": me.email, "password": "correct horse battery staple", "csrf_token": token},
    )
    assert client.post(f"/designers/{designer.id}/follow").status_code == 400
    assert follow_rows(db_session) == []
    profile = client.get(f"/designers/{designer.id}").get_data(as_text=True)
    token = profile.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(f"/designers/{designer.id}/follow", data={"csrf_token": token})
    assert response.status_code == 302
    assert follow_rows(db_session) == [(me.id, designer.id)]


# The rules in the service and the database ---------------------------------------------------


@pytest.mark.usefixtures("request_ctx")
def test_the_service_says_whether_it_changed_anything(db_session: Session) -> None:
    me, designer = UserFactory(), UserFactory()
    now = now_utc()
    assert follows.follow(db_session, me, designer, now=now) is True
    assert follows.follow(db_session, me, designer, now=now) is False
    assert follows.is_following(db_session, me.id, designer.id) is True
    assert follows.follower_count(db_session, designer.id) == 1
    assert follows.followed_designers(db_session, me.id) == [designer]
    assert follows.unfollow(db_session, me, designer) is True
    assert follows.unfollow(db_session, me, designer) is False
    with pytest.raises(follows.CannotFollow, match="You cannot follow yourself"):
        follows.follow(db_session, me, me, now=now)


def test_the_database_refuses_duplicates_and_self_follows(db_session: Session) -> None:
    me, designer = UserFactory(), UserFactory()
    db_session.add(Follow(follower_id=me.id, designer_id=designer.id))
    db_session.flush()
    for follower, followed in ((me, designer), (me, me)):
        with pytest.raises(IntegrityError), db_session.begin_nested():
            # Core inserts: the database itself refuses, not the session's identity map.
            db_session.execute(
                insert(Follow).values(
                    follower_id=follower.id, designer_id=followed.id, created_at=now_utc()
                )
            )
    assert follow_rows(db_session) == [(me.id, designer.id)]
