"""The staff overview: owed per creator, movements per month, earnings per design, and CSVs."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cocreate.core.clock import TestClock
from cocreate.royalties import overview
from tests.accounts.factories import StaffFactory, UserFactory
from tests.royalties.statement_factories import (
    March,
    accrue,
    day,
    march,
    on_sale,
    paid_order,
    piece,
)
from tests.royalties.test_pages_statement import END_OF_MARCH, _csv, _login, _text, writing


@pytest.fixture
def two_creators(app: Flask, db_session: Session, clock: TestClock) -> March:
    """Zoë's March (owed 2.09 pending + 1.50 cleared = 3.59) and Kai, owed 4.17 pending for
    2 "Harbour Lights" tees sold on 15 March."""
    clock.set(END_OF_MARCH)
    with writing(app, db_session):
        zoe = march(app, db_session)
        kai = UserFactory(display_name="Kai")
        lights = on_sale(kai, "Harbour Lights")
        line = paid_order(app, db_session, lights, 2, at=day(15), reference="pi_kai")
        accrue(db_session, line, [piece(2, 4167, 417)], at=day(15))
    return zoe


def test_owed_per_creator_most_owed_first(db_session: Session, two_creators: March) -> None:
    listing = overview.owed_by_creator(db_session, "EUR")
    assert [
        (c.name, c.pending.amount, c.cleared.amount, c.total.amount) for c in listing.items
    ] == [
        ("Kai", 417, 0, 417),
        ("Zoë Maker 🎨", 209, 150, 359),
    ]
    first = overview.owed_by_creator(db_session, "EUR", page=1, per_page=1)
    second = overview.owed_by_creator(db_session, "EUR", page=2, per_page=1)
    assert ([c.name for c in first.items], first.has_next) == (["Kai"], True)
    assert ([c.name for c in second.items], second.has_next) == (["Zoë Maker 🎨"], False)


def test_per_month_and_per_design(db_session: Session, two_creators: March) -> None:
    (month,) = overview.by_month(db_session, "EUR")
    assert month.period == "2026-03"
    assert [
        month.accrued.amount,
        month.reversed.amount,
        month.awarded.amount,
        month.adjusted.amount,
        month.cleared.amount,
        month.paid_out.amount,
    ] == [1634, -208, 500, -150, 800, -1000]
    designs = overview.by_design(db_session, "EUR").items
    assert [
        (d.title, d.creator_name, d.units, d.net.amount, d.royalties.amount) for d in designs
    ] == [
        ("Quiet Dunes", "Zoë Maker 🎨", 3, 7500, 800),
        ("Harbour Lights", "Kai", 2, 4167, 417),
        ("Midnight Tide", "Zoë Maker 🎨", 1, 2084, 209),
    ]


def test_the_overview_page(client: FlaskClient, two_creators: March) -> None:
    _login(client, "sam@example.test")
    response = client.get("/staff/royalties")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = _text(html)
    assert "Kai €4.17 €0.00 €4.17 Zoë Maker 🎨 €2.09 €1.50 €3.59" in text
    assert "March 2026 €16.34 -€2.08 €5.00 -€1.50 €8.00 -€10.00" in text
    assert "Quiet Dunes Zoë Maker 🎨 3 €75.00 €8.00" in text
    creator_id = two_creators.creator.id
    assert f'href="/staff/royalties/creators/{creator_id}/statements/2026-03"' in html
    # The staff desk links here.
    assert 'href="/staff/royalties"' in client.get("/staff/").get_data(as_text=True)


def test_the_overview_csvs(client: FlaskClient, two_creators: March) -> None:
    _login(client, "sam@example.test")
    creators = client.get("/staff/royalties/overview.csv?view=creators")
    assert creators.status_code == 200
    assert (
        creators.headers["Content-Disposition"]
        == 'attachment; filename="cocreate-royalties-creators.csv"'
    )
    rows = _csv(creators.data)
    assert rows[0] == ["Creator id", "Creator", "Pending", "Cleared", "Total"]
    assert [r[1:] for r in rows[1:]] == [
        ["Kai", "4.17", "0.00", "4.17"],
        ["Zoë Maker 🎨", "2.09", "1.50", "3.59"],
    ]
    months = _csv(client.get("/staff/royalties/overview.csv?view=months").data)
    assert months[1:] == [["2026-03", "16.34", "-2.08", "5.00", "-1.50", "8.00", "-10.00"]]
    designs = _csv(client.get("/staff/royalties/overview.csv?view=designs").data)
    assert [r[1:] for r in designs[1:]] == [
        ["Quiet Dunes", "Zoë Maker 🎨", "3", "75.00", "8.00"],
        ["Harbour Lights", "Kai", "2", "41.67", "4.17"],
        ["Midnight Tide", "Zoë Maker 🎨", "1", "20.84", "2.09"],
    ]
    assert client.get("/staff/royalties/overview.csv?view=nothing").status_code == 404


def test_members_are_refused(client: FlaskClient, two_creators: March) -> None:
    _login(client, "zoe@example.test")
    assert client.get("/staff/royalties").status_code == 403
    assert client.get("/staff/royalties/overview.csv?view=creators").status_code == 403


@pytest.mark.parametrize(("text", "page"), [(None, 1), ("3", 3), ("0", 1), ("x", 1), ("999999", 1)])
def test_page_numbers(text: str | None, page: int) -> None:
    assert overview.page_number(text) == page


def test_an_empty_overview(client: FlaskClient, db_session: Session) -> None:

    StaffFactory(email="staff@example.test")
    _login(client, "staff@example.test")
    text = _text(client.get("/staff/royalties?page=2").get_data(as_text=True))
    assert "No royalties yet." in text
    assert "No design has sold yet." in text
