"""Money, numbers, dates and plurals, exactly as each language writes them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask import Flask
from flask_babel import force_locale, ngettext

from cocreate.config import override
from cocreate.core.i18n import format_day, format_money, format_number, format_percent, format_when

NBSP, NNBSP = "\u00a0", "\u202f"
WHEN = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)


@pytest.fixture
def ctx(app: Flask):  # type: ignore[no-untyped-def]
    with app.test_request_context():
        yield


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize(
    ("locale", "cents", "expected"),
    [
        ("en", 1250, "€12.50"),
        ("fr", 1250, f"12,50{NBSP}€"),
        ("en", 123450, "€1,234.50"),
        ("fr", 123450, f"1{NNBSP}234,50{NBSP}€"),
        ("en", 0, "€0.00"),
        ("fr", -99, f"-0,99{NBSP}€"),
        ("en", 5, "€0.05"),
    ],
)
def test_money(locale: str, cents: int, expected: str) -> None:
    with force_locale(locale):
        assert format_money(cents, "EUR") == expected


@pytest.mark.usefixtures("ctx")
def test_money_other_currency() -> None:
    with force_locale("fr"):
        assert format_money(1999, "USD") == f"19,99{NBSP}$US"
    with force_locale("en"):
        assert format_money(1999, "USD") == "$19.99"


@pytest.mark.usefixtures("ctx")
def test_numbers_and_percentages() -> None:
    with force_locale("en"):
        assert format_number(1234567) == "1,234,567"
        assert format_percent(Decimal("0.125"), 1) == "12.5%"
        assert format_percent(Decimal("0.15")) == "15%"
    with force_locale("fr"):
        assert format_number(1234567) == f"1{NNBSP}234{NNBSP}567"
        assert format_percent(Decimal("0.125"), 1) == f"12,5{NBSP}%"
        assert format_percent(Decimal("0.15")) == f"15{NBSP}%"


def test_dates_in_reader_timezone(app: Flask) -> None:
    # Default timezone Europe/Paris: 14:30 UTC on 5 March is 15:30 in Paris (winter time).
    with app.test_request_context():
        with force_locale("en"):
            assert format_when(WHEN) == f"Mar 5, 2026, 3:30:00{NNBSP}PM"
            assert format_day(WHEN, "long") == "March 5, 2026"
        with force_locale("fr"):
            assert format_when(WHEN) == "5 mars 2026, 15:30:00"
            assert format_day(WHEN, "long") == "5 mars 2026"
    override(app, DEFAULT_TIMEZONE="America/New_York")
    with app.test_request_context(), force_locale("en"):
        assert format_when(WHEN, "short") == f"3/5/26, 9:30{NNBSP}AM"
        # 23:30 UTC is still the 5th... but 04:30 UTC on the 6th is the 5th in New York.
        assert format_day(datetime(2026, 3, 6, 4, 30, tzinfo=UTC), "long") == "March 5, 2026"


def test_plurals(app: Flask) -> None:
    def hours(n: int) -> str:
        return ngettext(
            "The link works once and expires in %(num)d hour.",
            "The link works once and expires in %(num)d hours.",
            n,
        )

    with app.test_request_context():
        with force_locale("en"):
            assert [hours(n) for n in (0, 1, 2)] == [
                "The link works once and expires in 0 hours.",
                "The link works once and expires in 1 hour.",
                "The link works once and expires in 2 hours.",
            ]
        with force_locale("fr"):
            zero, one, two = (hours(n) for n in (0, 1, 2))
            # French takes the singular for zero.
            assert "0 heure." in zero and "1 heure." in one and "2 heures." in two


def test_vote_counts_zero_takes_singular_in_french(app: Flask) -> None:
    def votes(n: int) -> str:
        return ngettext("%(num)d vote", "%(num)d votes", n)

    with app.test_request_context():
        with force_locale("en"):
            assert [votes(n) for n in (0, 1, 2)] == ["0 votes", "1 vote", "2 votes"]
        with force_locale("fr"):
            assert [votes(n) for n in (0, 1, 2)] == ["0 vote", "1 vote", "2 votes"]
