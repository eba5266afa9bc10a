"""Odd characters in user input: return paths, titles and names."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from cocreate.core.security import is_safe_local_path
from tests.accounts.factories import UserFactory
from tests.conftest import Auth


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
