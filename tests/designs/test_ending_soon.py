"""Cards of voting designs say how long voting stays open (issue 14, item 18).

The rule: whole days from 48 hours up, whole hours from 1 hour up, then "less than an hour";
always rounded down; nothing once the window has ended.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from xml.etree.ElementTree import Element

import html5lib
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy.orm import Session

from cocreate.core.clock import TestClock
from cocreate.designs.views import time_left_label
from tests.accounts.factories import UserFactory
from tests.conftest import TEST_START
from tests.designs.factories import VotingDesignFactory

H = timedelta(hours=1)
M = timedelta(minutes=1)
SEC = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("left", "english", "french"),
    [
        (timedelta(days=7), "7 days left", "7 jours restants"),
        (72 * H, "3 days left", "3 jours restants"),
        (72 * H - SEC, "2 days left", "2 jours restants"),
        (48 * H, "2 days left", "2 jours restants"),
        (48 * H - SEC, "47 hours left", "47 heures restantes"),
        (47 * H + 59 * M, "47 hours left", "47 heures restantes"),
        (2 * H, "2 hours left", "2 heures restantes"),
        (2 * H - SEC, "1 hour left", "1 heure restante"),
        (H, "1 hour left", "1 heure restante"),
        (H - SEC, "less than an hour left", "moins d’une heure restante"),
        (59 * M, "less than an hour left", "moins d’une heure restante"),
        (SEC, "less than an hour left", "moins d’une heure restante"),
    ],
)
def test_time_left_rule(app: Flask, left: timedelta, english: str, french: str) -> None:
    with app.test_request_context():
        with force_locale("en"):
            assert time_left_label(left) == english
        with force_locale("fr"):
            assert time_left_label(left) == french


def _text(element: Element) -> str:
    return re.sub(r"[ \t\r\n]+", " ", "".join(element.itertext())).strip()


def _times_left(client: FlaskClient, path: str) -> dict[str, str]:
    """Card title → its time-left text ("" when the card shows none)."""
    response = client.get(path)
    assert response.status_code == 200
    tree = html5lib.parse(response.get_data(as_text=True), namespaceHTMLElements=False)
    cards = {}
    for card in tree.iter("article"):
        if "design-card" not in (card.get("class") or "").split():
            continue
        link = card.find("a")
        assert link is not None
        spans = [s for s in card.iter("span") if s.get("class") == "time-left"]
        cards[_text(link)] = _text(spans[0]) if spans else ""
    return cards


def _ending_at(title: str, left: timedelta, **fields: Any) -> None:
    VotingDesignFactory(title=title, voting_ends_at=TEST_START + left, **fields)


def test_ending_soon_cards(client: FlaskClient, db_session: Session, clock: TestClock) -> None:
    _ending_at("Two Days", 48 * H)
    _ending_at("Almost Two Days", 47 * H + 59 * M)
    _ending_at("One Hour", H)
    _ending_at("Fifty-Nine Minutes", 59 * M)
    _ending_at("Ends Now", timedelta(0))
    assert _times_left(client, "/gallery?view=ending") == {
        "Fifty-Nine Minutes": "less than an hour left",
        "One Hour": "1 hour left",
        "Almost Two Days": "47 hours left",
        "Two Days": "2 days left",
    }


def test_cards_follow_the_clock(client: FlaskClient, db_session: Session, clock: TestClock) -> None:
    _ending_at("Moving", 48 * H)
    assert _times_left(client, "/gallery?view=ending") == {"Moving": "2 days left"}
    clock.advance(SEC)
    assert _times_left(client, "/gallery?view=ending") == {"Moving": "47 hours left"}
    clock.advance(47 * H - SEC)
    assert _times_left(client, "/gallery?view=ending") == {"Moving": "1 hour left"}
    clock.advance(SEC)
    assert _times_left(client, "/gallery?view=ending") == {"Moving": "less than an hour left"}
    clock.advance(H - SEC)
    # The end instant: the window is over, the design leaves the view.
    assert _times_left(client, "/gallery?view=ending") == {}


def test_other_cards_of_voting_designs(
    client: FlaskClient, db_session: Session, clock: TestClock
) -> None:
    designer = UserFactory()
    _ending_at("Open Still", 5 * H, designer=designer)
    # The close job has not run yet: still `voting`, but its time is up.
    _ending_at("Time Is Up", timedelta(0), designer=designer)
    assert _times_left(client, f"/designers/{designer.id}") == {
        "Open Still": "5 hours left",
        "Time Is Up": "",
    }
    assert _times_left(client, "/gallery") == {"Open Still": "5 hours left"}


def test_french_cards(
    client: FlaskClient, auth: Any, db_session: Session, clock: TestClock
) -> None:
    UserFactory(email="lecteur@example.test", locale="fr")
    _ending_at("Deux jours", 48 * H)
    _ending_at("Une heure", H)
    _ending_at("Presque fini", 59 * M)
    auth.login("lecteur@example.test")
    assert _times_left(client, "/gallery?view=ending") == {
        "Presque fini": "moins d’une heure restante",
        "Une heure": "1 heure restante",
        "Deux jours": "2 jours restants",
    }
