"""Pages are valid HTML: every response the suite renders goes through html5lib (see
tests/html_check.py); these tests check that the check works and walk every page once per role."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

import html5lib  # type: ignore[import-untyped]
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cocreate.designs.models import DesignState
from tests.accounts.factories import AdminFactory, StaffFactory, UserFactory
from tests.designs.factories import DesignFactory, TagFactory, VotingDesignFactory
from tests.html_check import HTMLCheckingClient, HTMLParseError, parse_errors

FORM_IN_PARAGRAPH = (
    "<!doctype html><html lang=en><head><title>t</title></head><body>"
    "<p class=actions><a href=/>Edit</a><form><button>Submit</button></form></p></body></html>"
)


def test_parser_reports_a_form_inside_a_paragraph() -> None:
    errors = parse_errors(FORM_IN_PARAGRAPH)
    assert len(errors) == 1
    assert "unexpected-end-tag {'name': 'p'}" in errors[0]


def test_client_fails_on_an_invalid_page(app: Flask) -> None:
    app.add_url_rule("/broken", "broken", lambda: FORM_IN_PARAGRAPH)
    assert isinstance(app.test_client(), HTMLCheckingClient)
    with pytest.raises(HTMLParseError, match=r"GET /broken \(200\) is not valid HTML"):
        app.test_client().get("/broken")


def heading_jumps(html: str) -> list[str]:
    """Headings that skip a level going down (an h1 followed by an h3): axe's heading-order."""
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    levels = [
        (int(el.tag[1]), "".join(el.itertext()).strip())
        for el in tree.iter()
        if isinstance(el.tag, str) and re.fullmatch(r"h[1-6]", el.tag)
    ]
    return [
        f"h{before} then h{level} {text!r}"
        for (before, _), (level, text) in pairwise(levels)
        if level > before + 1
    ]


def test_heading_jumps_are_found() -> None:
    assert heading_jumps("<h1>Gallery</h1><h3>Card</h3><h2>Tags</h2><h3>x</h3>") == [
        "h1 then h3 'Card'"
    ]


def _get_paths(app: Flask, ids: dict[str, Any]) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint in {"static", "media.file"}:
            continue
        path = rule.rule
        for name, value in ids.items():
            path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
        if "<" not in path:
            paths.append(path)
    return paths


@pytest.mark.parametrize("role", ["anonymous", "member", "owner", "staff", "admin"])
def test_every_page_parses_for_every_role(
    app: Flask, client: FlaskClient, auth: Any, db_session: Session, role: str
) -> None:
    owner: Any = UserFactory(email="owner@example.test")
    tag = TagFactory(name="sun")
    draft: Any = DesignFactory(designer=owner, title="Draft <b>bold</b>")
    VotingDesignFactory(designer=owner, tags=[tag])
    DesignFactory(designer=owner, state=DesignState.SUBMITTED, submitted_at=draft.created_at)
    DesignFactory(designer=owner, state=DesignState.REJECTED, state_reason="Blurry.")
    logins = {
        "member": UserFactory,
        "staff": StaffFactory,
        "admin": AdminFactory,
    }
    if role in logins:
        logins[role](email=f"{role}@example.test")
    if role != "anonymous":
        auth.login(f"{role}@example.test")
    paths = _get_paths(app, {"design_id": draft.id, "user_id": owner.id, "tag": "sun"})
    assert {"/", f"/designs/{draft.id}", "/gallery", "/staff/screening"} <= set(paths)
    for path in paths:
        # The checking client raises on a parse error; the status is whatever the role gets.
        response = client.get(path)
        assert response.status_code in {200, 302, 403, 404}, path
        assert heading_jumps(response.get_data(as_text=True)) == [], path
