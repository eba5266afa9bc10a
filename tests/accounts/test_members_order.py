"""The administrators' members list: administrators first, then staff, then members."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.accounts.factories import AdminFactory, StaffFactory, UserFactory
from tests.conftest import Auth


def test_members_list_puts_admins_then_staff_then_members(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    UserFactory(display_name="Zoé Member", email="zoe@example.test")
    StaffFactory(display_name="Bruno Staff", email="bruno@example.test")
    UserFactory(display_name="Anna Member", email="anna@example.test")
    AdminFactory(display_name="Yann Admin", email="yann@example.test")
    StaffFactory(display_name="Alice Staff", email="alice@example.test")
    AdminFactory(display_name="Chloé Admin", email="chloe@example.test")
    auth.login("yann@example.test")

    page = client.get("/admin/users").get_data(as_text=True)
    names = re.findall(r'<a href="/designers/\d+">([^<]+)</a></td>', page)

    assert names == [
        "Chloé Admin",
        "Yann Admin",
        "Alice Staff",
        "Bruno Staff",
        "Anna Member",
        "Zoé Member",
    ]
