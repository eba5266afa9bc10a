"""The statement pages: a creator's own (page, CSV, PDF), staff's view of any creator's, and
who may read what."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from cocreate.core.clock import TestClock
from cocreate.royalties import exports, statements
from tests.accounts.factories import UserFactory
from tests.royalties.statement_factories import (
    March,
    accrue,
    closed_statement,
    day,
    march,
    paid_order,
    piece,
)

END_OF_MARCH = datetime(2026, 3, 31, 23, 0, tzinfo=UTC)
PAGE = "/royalties/statements/2026-03"


@contextmanager
def writing(app: Flask, session: Session) -> Iterator[None]:
    """A request context for writing test data (paying an order queues its email)."""
    with app.test_request_context():
        g.db_session = session
        g.after_commit = []
        try:
            yield
        finally:
            # The context's teardown would end the test's session: it is not the context's.
            g.pop("db_session")


@pytest.fixture
def zoe(app: Flask, db_session: Session, clock: TestClock) -> March:
    clock.set(END_OF_MARCH)
    with writing(app, db_session):
        return march(app, db_session)


def _login(client: FlaskClient, email: str) -> None:
    response = client.post(
        "/login", data={"email": email, "password": "correct horse battery staple"}
    )
    assert response.status_code == 302


def _text(html: str) -> str:
    """The page's text, tags removed and spaces (including no-break ones) collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("\u00a0", " ").split())


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: spreadsheets read "Zoë" right
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_creator_reads_their_statement(client: FlaskClient, zoe: March) -> None:
    _login(client, "zoe@example.test")
    response = client.get(PAGE)
    assert response.status_code == 200
    text = _text(response.get_data(as_text=True))
    assert "Royalty statement, March 2026" in text
    assert (
        f"Mar 2, 2026 Sale {zoe.order_a} Midnight Tide T-shirt, black, M 2 €20.84 €41.67"
        " Tier 1: 10% €4.17" in text
    )
    assert (
        f"Sale {zoe.order_b} Quiet Dunes T-shirt, white, L 1 €25.00 €25.00 Tier 2: 12% €3.00"
        in text
    )
    assert (
        f"Refund {zoe.order_a} Midnight Tide T-shirt, black, M -1 €20.83 -€20.83 Tier 1: 10% -€2.08"
        in text
    )
    assert "Award Design “Quiet Dunes” approved €5.00" in text
    assert "Adjustment Duplicate award corrected -€1.50" in text
    assert "Payout BANK-42 -€10.00" in text
    assert "Midnight Tide 1 €20.84 €2.09" in text
    assert "Quiet Dunes 3 €75.00 €8.00" in text
    assert "Total 4 €95.84 €10.09" in text
    assert (
        "Closing balance, pending €2.09 Closing balance, cleared €1.50 Closing balance €3.59"
        in text
    )
    # A creator does not get links to the staff order desk.
    assert "/staff/orders/" not in response.get_data(as_text=True)


def test_csv_totals_equal_the_page_totals(client: FlaskClient, zoe: March) -> None:
    _login(client, "zoe@example.test")
    page = _text(client.get(PAGE).get_data(as_text=True))
    response = client.get(PAGE + ".csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="cocreate-statement-2026-03.csv"'
    )
    rows = _csv(response.data)
    assert rows[0] == [
        "Date", "Type", "Order", "Design", "Variant", "Units", "Unit net price", "Net revenue",
        "Tier", "Rate (%)", "Per unit", "Amount", "Note",
    ]  # fmt: skip
    assert rows[1] == [
        "2026-03-02", "Sale", zoe.order_a, "Midnight Tide", "T-shirt, black, M", "2", "20.84",
        "41.67", "1", "10", "", "4.17", "",
    ]  # fmt: skip
    assert rows[4][:12] == [
        "2026-03-10", "Refund", zoe.order_a, "Midnight Tide", "T-shirt, black, M", "-1", "20.83",
        "-20.83", "1", "10", "", "-2.08",
    ]  # fmt: skip
    by_label = {row[1]: row for row in rows if row[0] == ""}
    subtotals = [(r[3], r[5], r[7], r[11]) for r in rows if r[1] == "Subtotal"]
    assert subtotals == [
        ("Midnight Tide", "1", "20.84", "2.09"),
        ("Quiet Dunes", "3", "75.00", "8.00"),
    ]
    assert (by_label["Total"][5], by_label["Total"][7], by_label["Total"][11]) == (
        "4",
        "95.84",
        "10.09",
    )
    totals = {label: row[11] for label, row in by_label.items()}
    assert totals["Royalties on sales"] == "12.17"
    assert totals["Royalties reversed by refunds"] == "-2.08"
    assert totals["Awards"] == "5.00"
    assert totals["Adjustments"] == "-1.50"
    assert totals["Cleared this month"] == "8.00"
    assert totals["Payouts"] == "-10.00"
    assert totals["Closing balance, pending"] == "2.09"
    assert totals["Closing balance, cleared"] == "1.50"
    assert totals["Closing balance"] == "3.59"
    # Each of these totals is on the page, to the cent.
    for label in ("Royalties on sales", "Awards", "Payouts", "Closing balance"):
        amount = totals[label]
        shown = f"-€{amount[1:]}" if amount.startswith("-") else f"€{amount}"
        assert f"{label} {shown}" in page
    # The rows add up: every line's amount sums to the total, the movements to the balance.
    lines = [r for r in rows[1:] if r[1] in ("Sale", "Refund")]
    assert sum(int(r[11].replace(".", "")) for r in lines) == 1009


def test_the_pdf_is_an_attachment(client: FlaskClient, zoe: March) -> None:
    _login(client, "zoe@example.test")
    response = client.get(PAGE + ".pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="cocreate-statement-2026-03.pdf"'
    )
    assert response.data.startswith(b"%PDF")


@pytest.mark.usefixtures("request_ctx")
def test_the_pdf_draws_a_name_outside_latin_1(db_session: Session, zoe: March) -> None:
    report = statements.statement(db_session, zoe.creator.id, "2026-03", "EUR")
    assert report is not None
    data = exports.statement_pdf(report, "Zoë Maker 🎨", compress=False)
    assert data.startswith(b"%PDF")
    # "ë" is in the built-in fonts' Windows-1252; the emoji is not, and becomes "?".
    assert b"Zo\xeb Maker ?" in data
    assert b"Quiet Dunes" in data


def test_a_french_reader_sees_french_amounts(
    client: FlaskClient, db_session: Session, zoe: March
) -> None:
    zoe.creator.locale = "fr"
    db_session.flush()
    _login(client, "zoe@example.test")
    text = _text(client.get(PAGE).get_data(as_text=True))
    assert "Relevé de royalties, mars 2026" in text
    assert "4,17 €" in text
    assert "Solde de clôture 3,59 €" in text
    # The CSV keeps plain amounts whatever the language.
    rows = _csv(client.get(PAGE + ".csv").data)
    assert rows[1][11] == "4.17"
    assert rows[1][0] == "2026-03-02"


def test_another_member_has_no_statement_there(client: FlaskClient, zoe: March) -> None:
    UserFactory(email="other@example.test")
    _login(client, "other@example.test")
    for suffix in ("", ".csv", ".pdf"):
        assert client.get(PAGE + suffix).status_code == 404
    # The staff URL naming Zoë is refused to a member.
    staff_url = f"/staff/royalties/creators/{zoe.creator.id}/statements/2026-03"
    for suffix in ("", ".csv", ".pdf"):
        assert client.get(staff_url + suffix).status_code == 403


@pytest.mark.parametrize(
    "period", ["2026-13", "2026-3", "march", "2026-03-01", "2026-02", "2026-04"]
)
def test_months_without_a_statement_are_not_found(
    client: FlaskClient, zoe: March, period: str
) -> None:
    _login(client, "zoe@example.test")
    assert client.get(f"/royalties/statements/{period}").status_code == 404
    assert client.get(f"/royalties/statements/{period}.pdf").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient, zoe: March) -> None:
    for path in ("/royalties", PAGE, PAGE + ".csv", "/staff/royalties"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_staff_read_any_creators_statement_with_links_to_the_order_desk(
    client: FlaskClient, zoe: March
) -> None:
    _login(client, "sam@example.test")
    url = f"/staff/royalties/creators/{zoe.creator.id}/statements/2026-03"
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<a href="/staff/orders/{zoe.order_a}">{zoe.order_a}</a>' in html
    assert "Zoë Maker 🎨" in html
    assert "Closing balance €3.59" in _text(html)
    pdf = client.get(url + ".pdf")
    assert pdf.data.startswith(b"%PDF")
    name = f"cocreate-statement-2026-03-{zoe.creator.id}.pdf"
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    rows = _csv(client.get(url + ".csv").data)
    assert rows[-1][1:2] + rows[-1][11:12] == ["Closing balance", "3.59"]
    assert client.get("/staff/royalties/creators/999999/statements/2026-03").status_code == 404
    assert client.get(url.replace("2026-03", "2026-02")).status_code == 404


def test_a_closed_month_shows_its_statement_row(
    client: FlaskClient, db_session: Session, zoe: March
) -> None:
    closed_statement(
        db_session,
        zoe.creator,
        "2026-03",
        closing=(209, 150),
        at=END_OF_MARCH,
        accrued=1217,
        reversed=-208,
    )
    _login(client, "zoe@example.test")
    text = _text(client.get(PAGE).get_data(as_text=True))
    assert "closed" in text
    assert "Opening balance €0.00" in text
    assert "Closing balance, pending €2.09 Closing balance, cleared €1.50" in text


@contextmanager
def count_queries(engine: Engine) -> Iterator[list[str]]:
    found: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        found.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_the_statement_page_makes_a_fixed_number_of_queries(
    app: Flask, client: FlaskClient, db_session: Session, zoe: March
) -> None:
    _login(client, "zoe@example.test")
    engine = db_session.get_bind().engine  # type: ignore[union-attr]
    with count_queries(engine) as few:
        assert client.get(PAGE).status_code == 200
    with writing(app, db_session):
        for n in range(12):
            line = paid_order(app, db_session, zoe.tide, 1, at=day(11 + n), reference=f"pi_{n}")
            accrue(db_session, line, [piece(1, 2083, 208)], at=day(11 + n))
    with count_queries(engine) as many:
        page = client.get(PAGE)
    assert page.status_code == 200
    assert _text(page.get_data(as_text=True)).count(" Sale ") == 15
    assert len(many) == len(few), many
