"""Odd characters in user input: return paths, titles and names."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from cocreate.accounts.models import User
from cocreate.core.inputs import clean_text, has_visible, single_line
from cocreate.core.security import is_safe_local_path
from cocreate.designs.models import Design
from tests.accounts.factories import StaffFactory, UserFactory
from tests.conftest import Auth
from tests.designs.factories import DesignFactory, VotingDesignFactory


@pytest.mark.parametrize("next_path", ["/foo\rbar", "/foo\nbar", "/foo\tbar", "/foo\x7fbar"])
def test_language_switch_with_control_character_in_return_path(
    client: FlaskClient, next_path: str
) -> None:
    response = client.post("/language", data={"locale": "fr", "next": next_path})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_page_with_carriage_return_in_return_path_while_logged_in(
    client: FlaskClient, auth: Auth, db_session: object
) -> None:
    user = UserFactory()
    auth.login(user.email)
    response = client.get("/login?next=/foo%0Dbar")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    "target",
    [
        "/foo\rbar",
        "/foo\nbar",
        "/a\x00b",
        "/a\x1bb",
        "/a\x85b",
        "/a\u2028b",
        "/a\\b",
        "//evil.test",
    ],
)
def test_unsafe_return_paths(target: str) -> None:
    assert is_safe_local_path(target) is False


def test_safe_return_paths() -> None:
    assert is_safe_local_path("/designs/12?tab=voting") is True
    assert is_safe_local_path("/tags/évaluation") is True


# Invisible and direction-changing characters in titles, names and texts.


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Cafe\u0301 cre\u0300me", "Caf\u00e9 cr\u00e8me"),  # NFC: one code point per letter
        ("\u202eevil.exe\u202c", "evil.exe"),
        ("a\u202ab\u202bc\u202cd\u202de", "abcde"),
        ("a\u2066b\u2067c\u2068d\u2069e", "abcde"),
        ("left\u200eright\u200f\u061c", "leftright"),
        ("line one\nline two", "line one\nline two"),
        ("\U0001f469\u200d\U0001f4bb coder", "\U0001f469\u200d\U0001f4bb coder"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("\u200b\u200b\u200d", False),
        (" \u3164\u2800 ", False),
        ("\u0301", False),
        ("", False),
        ("a\u200b", True),
        ("\U0001f3a8", True),
        ("\u00e9", True),
    ],
)
def test_has_visible(text: str, visible: bool) -> None:
    assert has_visible(text) is visible


def test_single_line_also_cleans() -> None:
    assert single_line("\u202eSunny\u202c  Side\u0301") == "Sunny Sid\u00e9"


@pytest.fixture
def designer(db_session: Session, auth: Auth) -> User:
    user = UserFactory(email="des@example.test")
    auth.login("des@example.test")
    return user


def _edit(client: FlaskClient, design: Design, **fields: str) -> TestResponse:
    data = {"title": "Sunny Side", "description": "", "tags": "", "products": "tee"}
    data.update(fields)
    return client.post(f"/designs/{design.id}/edit", data=data)


def test_invisible_title_refused_with_a_clear_error(
    client: FlaskClient, db_session: Session, designer: User
) -> None:
    design = DesignFactory(designer=designer, title="Before")
    response = _edit(client, design, title="\u200b\u200b\u200d")
    assert response.status_code != 302
    assert "This needs at least one visible character." in response.get_data(as_text=True)
    db_session.refresh(design)
    assert design.title == "Before"


def test_bidi_controls_removed_and_text_normalised_on_save(
    client: FlaskClient, db_session: Session, designer: User
) -> None:
    design = DesignFactory(designer=designer, title="Before")
    response = _edit(
        client,
        design,
        title="\u202eSunny\u202c Cafe\u0301",
        description="Warm\u2066 morning\u2069\nlight\u200f",
        tags="e\u0301te\u0301, \u202dsun",
    )
    assert response.status_code == 302
    db_session.refresh(design)
    assert design.title == "Sunny Caf\u00e9"
    assert design.description == "Warm morning\nlight"
    assert sorted(t.name for t in design.tags) == ["sun", "\u00e9t\u00e9"]


def test_invisible_display_name_refused(
    client: FlaskClient, db_session: Session, designer: User
) -> None:
    settings = {"bio": "", "locale": "en", "timezone": "Europe/Paris"}
    response = client.post("/settings", data={**settings, "display_name": "\u200b\u200d\u3164"})
    assert response.status_code != 302
    assert "This needs at least one visible character." in response.get_data(as_text=True)
    response = client.post(
        "/settings",
        data={**settings, "display_name": "\u202eIne\u0300s\u202c", "bio": "Hi\u202e there"},
    )
    assert response.status_code == 302
    db_session.refresh(designer)
    assert (designer.display_name, designer.bio) == ("In\u00e8s", "Hi there")


def test_invisible_display_name_refused_at_signup(client: FlaskClient, db_session: Session) -> None:
    response = client.post(
        "/signup",
        data={
            "email": "new@example.test",
            "display_name": "\u200b\u200b\u200d",
            "password": "a long enough passphrase",
        },
    )
    assert response.status_code != 302
    assert "This needs at least one visible character." in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(User)) == 0


def test_staff_reason_loses_bidi_controls(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    StaffFactory(email="staff@example.test")
    design = VotingDesignFactory()
    auth.login("staff@example.test")
    client.post(f"/staff/designs/{design.id}/remove", data={"reason": "Hate\u202eful\u202c."})
    db_session.refresh(design)
    assert design.state_reason == "Hateful."
