"""No page carries inline script, inline style or event-handler attributes: the CSP would block
them, so a page that used one would be broken in every browser."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cocreate.designs.models import DesignState, Mockup
from tests.accounts.factories import AdminFactory
from tests.designs.factories import DesignFactory, VotingDesignFactory

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def _check(html: str, path: str) -> None:
    for pattern in (INLINE_SCRIPT, INLINE_STYLE, HANDLER):
        match = pattern.search(html)
        assert match is None, f"{path}: {match.group(0) if match else ''}"


def test_every_page_is_csp_clean(client: FlaskClient, auth: Any, db_session: Session) -> None:
    anonymous = ["/", "/login", "/signup", "/password/forgot", "/gallery", "/nope"]
    admin = AdminFactory(email="admin@example.test")
    public = VotingDesignFactory(designer=admin)
    public.mockups = [Mockup(product="tee", colour="white", key="a" * 64 + ".webp")]
    draft = DesignFactory(designer=admin)
    DesignFactory(state=DesignState.SUBMITTED)
    db_session.commit()
    anonymous += [f"/designs/{public.id}", f"/designers/{admin.id}", "/tags/sun"]
    for path in anonymous:
        _check(client.get(path).get_data(as_text=True), path)
    auth.login("admin@example.test")
    member_pages = [
        "/settings",
        "/my/designs",
        "/designs/new",
        f"/designs/{draft.id}",
        f"/designs/{draft.id}/edit",
        f"/designs/{public.id}",
        "/staff/",
        "/staff/screening",
        "/admin/users",
        "/dev/outbox",
    ]
    for path in member_pages:
        response = client.get(path)
        assert response.status_code == 200, path
        _check(response.get_data(as_text=True), path)
