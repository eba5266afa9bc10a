"""The creator's dashboard: balance, earned to date, per design, the monthly chart, statements."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cocreate.core.clock import TestClock
from cocreate.core.money import Money
from cocreate.royalties import chart, dashboard
from cocreate.royalties.dashboard import MonthEarnings
from tests.accounts.factories import UserFactory
from tests.designs.factories import DesignFactory
from tests.royalties.statement_factories import March, closed_statement, march
from tests.royalties.test_pages_statement import END_OF_MARCH, _login, _text, writing

APRIL = datetime(2026, 4, 2, 8, tzinfo=UTC)


@pytest.fixture
def zoe(app: Flask, db_session: Session, clock: TestClock) -> March:
    clock.set(END_OF_MARCH)
    with writing(app, db_session):
        return march(app, db_session)


def test_the_dashboard_sums_the_creators_ledger(db_session: Session, zoe: March) -> None:
    board = dashboard.dashboard(db_session, zoe.creator.id, "EUR", now=END_OF_MARCH)
    assert board.is_creator
    assert (board.balance.pending.amount, board.balance.cleared.amount) == (209, 150)
    # 12.17 accrued − 2.08 reversed + 5.00 award − 1.50 adjustment (payouts are not earnings).
    assert board.earned.amount == 1359
    assert [(d.title, d.units, d.net.amount, d.royalties.amount) for d in board.designs] == [
        ("Quiet Dunes", 3, 7500, 800),
        ("Midnight Tide", 1, 2084, 209),
    ]
    assert [m.period for m in board.months] == [
        "2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09",
        "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03",
    ]  # fmt: skip
    assert [m.earned.amount for m in board.months] == [0] * 11 + [1359]
    assert board.running == ["2026-03"]
    assert board.statements == []


def test_a_member_without_designs_sees_an_explanation(
    client: FlaskClient, db_session: Session
) -> None:
    UserFactory(email="reader@example.test")
    _login(client, "reader@example.test")
    response = client.get("/royalties")
    assert response.status_code == 200
    text = _text(response.get_data(as_text=True))
    assert "You have no designs yet, so there is nothing to show." in text
    assert "<svg" not in response.get_data(as_text=True)
    # No "Royalties" entry in their account menu.
    assert 'href="/royalties"' not in response.get_data(as_text=True)


def test_a_creator_with_designs_but_no_sale_yet(
    client: FlaskClient, db_session: Session, clock: TestClock
) -> None:
    creator = UserFactory(email="new@example.test")
    DesignFactory(designer=creator)
    _login(client, "new@example.test")
    response = client.get("/royalties")
    html = response.get_data(as_text=True)
    text = _text(html)
    assert "€0.00 pending €0.00 cleared, ready to be paid out €0.00 earned to date" in text
    assert "None of your designs has sold yet." in text
    assert "Your first statement is written when this month closes." in text
    assert 'href="/royalties"' in html  # the account menu's entry
    assert "Nothing earned in these months yet." in text


def test_the_dashboard_page(client: FlaskClient, db_session: Session, zoe: March) -> None:
    closed_statement(
        db_session, zoe.creator, "2026-02", closing=(0, 0), at=datetime(2026, 3, 1, tzinfo=UTC)
    )
    _login(client, "zoe@example.test")
    response = client.get("/royalties")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = _text(html)
    assert "€2.09 pending €1.50 cleared, ready to be paid out €13.59 earned to date" in text
    assert f'<a href="/designs/{zoe.dunes.id}">Quiet Dunes</a>' in html
    assert "Quiet Dunes 3 €75.00 €8.00 Midnight Tide 1 €20.84 €2.09" in text
    # The chart: an accessible SVG, and the same figures in a table for screen readers.
    svg = re.search(r"<svg[^>]*>", html)
    assert svg is not None
    assert 'role="img"' in svg.group(0)
    assert 'aria-label="Royalties earned per month, last 12 months"' in svg.group(0)
    assert '<title id="earnings-chart-title">' in html
    assert html.count('class="bar"') == 12
    assert html.count('height="0.0"') == 11  # only March has earnings
    assert "April 2025: €0.00;" in text and "March 2026: €13.59." in text
    assert "March 2026 €13.59" in text  # the hidden table's last row
    assert ">€15.00</text>" in html  # the top of the axis
    # Statements: the running month, then the closed ones.
    assert re.search(
        r'href="/royalties/statements/2026-03">March 2026</a>\s*<span class="badge">running', html
    )
    assert 'href="/royalties/statements/2026-02">February 2026</a>' in html


def test_in_april_march_is_still_running_until_closed(
    client: FlaskClient, db_session: Session, zoe: March, clock: TestClock
) -> None:
    clock.set(APRIL)
    _login(client, "zoe@example.test")
    html = client.get("/royalties").get_data(as_text=True)
    # April carries the balance; March has not been closed yet.
    assert html.index("/royalties/statements/2026-04") < html.index("/royalties/statements/2026-03")


@pytest.mark.parametrize(
    ("span", "step"),
    [(1, 1), (4, 1), (5, 2), (999, 500), (1359, 500), (4000, 1000), (4001, 2000)],
)
def test_axis_steps_are_round(span: int, step: int) -> None:
    assert chart.nice_step(span) == step


def test_the_scale_covers_negative_months() -> None:
    assert chart.scale([0, 1359, 0]) == (0, 1500, 500)
    assert chart.scale([-300, 1000]) == (-500, 1000, 500)
    assert chart.scale([0, 0]) == (0, 1000, 250)


@pytest.mark.usefixtures("request_ctx")
def test_bars_stand_on_zero_and_hang_below_it() -> None:
    months = [
        MonthEarnings("2026-02", Money(-500, "EUR")),
        MonthEarnings("2026-03", Money(1000, "EUR")),
    ]
    drawn = chart.monthly_chart(months)
    # Axis -5.00 to 10.00 over 202 px of plot (260 − 14 − 44): zero is 2/3 down.
    assert drawn.zero_y == pytest.approx(14 + 202 * 2 / 3, abs=0.01)
    below, above = drawn.bars
    assert below.negative and below.y == drawn.zero_y
    assert below.height == pytest.approx(202 / 3, abs=0.02)
    assert above.y == 14 and above.height == pytest.approx(202 * 2 / 3, abs=0.02)
    assert [t.label for t in drawn.ticks] == ["-€5.00", "€0.00", "€5.00", "€10.00"]
    assert (below.month, below.year, above.year) == ("Feb", "2026", "")
