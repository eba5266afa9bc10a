"""Every member route refuses anonymous visitors; every staff and admin route refuses members."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cocreate.accounts.auth import ACCESS_ATTR
from tests.accounts.factories import StaffFactory, UserFactory


def _protected_routes(app: Flask, level: str) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, ACCESS_ATTR, None) != level:
            continue
        path = re.sub(r"<(?:\w+:)?[^>]+>", "1", rule.rule)
        method = (
            "POST"
            if "POST" in (rule.methods or set()) and "GET" not in (rule.methods or set())
            else "GET"
        )
        routes.append((method, path))
    return routes


def test_there_are_staff_and_admin_routes(app: Flask) -> None:
    # Guards the tests below against silently checking nothing.
    assert _protected_routes(app, "member")
    assert _protected_routes(app, "staff")
    assert _protected_routes(app, "admin")


@pytest.mark.parametrize("level", ["member", "staff", "admin"])
def test_anonymous_redirected_to_login(app: Flask, client: FlaskClient, level: str) -> None:
    for method, path in _protected_routes(app, level):
        response = client.open(path, method=method)
        assert response.status_code == 302, path
        assert "/login" in response.headers["Location"], path


@pytest.mark.parametrize("level", ["staff", "admin"])
def test_members_get_403(
    app: Flask, client: FlaskClient, auth: object, db_session: Session, level: str
) -> None:
    UserFactory(email="member@example.test")
    auth.login("member@example.test")  # type: ignore[attr-defined]
    for method, path in _protected_routes(app, level):
        assert client.open(path, method=method).status_code == 403, path


def test_staff_get_403_on_admin_routes(
    app: Flask, client: FlaskClient, auth: object, db_session: Session
) -> None:
    StaffFactory(email="staff@example.test")
    auth.login("staff@example.test")  # type: ignore[attr-defined]
    for method, path in _protected_routes(app, "admin"):
        assert client.open(path, method=method).status_code == 403, path
    assert client.get("/staff/").status_code == 200


def test_member_pages_need_login(client: FlaskClient) -> None:
    response = client.get("/settings")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_the_royalty_pages_are_walked(app: Flask) -> None:
    # The creator's pages take no creator id (their own only); staff's name any creator.
    member = _protected_routes(app, "member")
    staff = _protected_routes(app, "staff")
    for path in ("/royalties", "/royalties/statements/1", "/royalties/statements/1.csv"):
        assert ("GET", path) in member
    assert ("GET", "/royalties/statements/1.pdf") in member
    for path in ("/staff/royalties", "/staff/royalties/overview.csv"):
        assert ("GET", path) in staff
    for suffix in ("", ".csv", ".pdf"):
        assert ("GET", f"/staff/royalties/creators/1/statements/1{suffix}") in staff


def test_the_payout_routes_are_in_the_walk(app: Flask) -> None:
    member, staff = _protected_routes(app, "member"), _protected_routes(app, "staff")
    assert {
        ("GET", "/royalties/payouts"),
        ("POST", "/royalties/payouts/threshold"),
        ("POST", "/royalties/payouts/connect"),
        ("GET", "/royalties/payouts/connect/return"),
        ("GET", "/royalties/payouts/connect/refresh"),
        ("GET", "/royalties/payouts/1.csv"),
    } <= set(member)
    assert {
        ("GET", "/staff/royalties/payouts"),
        ("POST", "/staff/royalties/payouts/run"),
        ("GET", "/staff/royalties/payouts/1"),
        ("POST", "/staff/royalties/payouts/1/record"),
        ("GET", "/staff/royalties/payouts/1.csv"),
    } <= set(staff)
