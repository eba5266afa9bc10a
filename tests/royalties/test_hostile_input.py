"""What a hostile or clumsy visitor types into the royalty pages gets a clear answer, never a
500: impossible months, unicode digits, amounts past any column, ids past the id range."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.accounts.factories import UserFactory


@pytest.mark.parametrize("period", ["9999-12", "0000-01", "1969-12", "2026-13", "２０２６-01"])
def test_closing_an_impossible_month_is_refused(staff_client: FlaskClient, period: str) -> None:
    response = staff_client.post(f"/staff/royalties/periods/{period}/close")
    assert response.status_code == 422
    assert "Give the month as YYYY-MM, for example 2026-10." in response.get_data(as_text=True)


@pytest.mark.parametrize("period", ["9999-12", "0000-01"])
def test_the_cli_refuses_an_impossible_month(app: Flask, period: str) -> None:
    result = app.test_cli_runner().invoke(args=["royalties", "close-period", period])
    assert result.exit_code != 0
    assert "Give the month as YYYY-MM, for example 2026-10." in result.output


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"creator": "²", "amount": "2", "reason": "bonus"},
            "There is no member with that email or id.",
        ),
        (
            {"creator": "99999999999999999999999", "amount": "2", "reason": "x"},
            "There is no member with that email or id.",
        ),
        (
            {"creator": "maker@example.test", "amount": "99999999999999999999", "reason": "x"},
            "This amount is too large.",
        ),
        (
            {"creator": "maker@example.test", "amount": "10000000.01", "reason": "x"},
            "This amount is too large.",
        ),
    ],
)
def test_adjustment_input_past_any_range(
    staff_client: FlaskClient, data: dict[str, str], message: str
) -> None:
    UserFactory(email="maker@example.test")
    response = staff_client.post("/staff/royalties/adjustments/new", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("tiers", "basis", "award", "message"),
    [
        ("99999999999999999999 10", "percent", "0", "Write one tier a line"),
        ("1 12.34567", "percent", "0", "A percentage has at most 4 decimals."),
        ("1 99999999999999999999", "per_unit", "0", "This amount is too large."),
        ("1 10", "percent", "99999999999999999999", "This amount is too large."),
    ],
)
def test_schedule_input_past_any_range(
    staff_client: FlaskClient, tiers: str, basis: str, award: str, message: str
) -> None:
    data = {"effective_from": "2026-05-01", "basis": basis, "tiers": tiers, "award": award}
    response = staff_client.post("/staff/royalties/schedule", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_percentage_with_four_decimals_is_kept(staff_client: FlaskClient) -> None:
    data = {"effective_from": "2026-05-01", "basis": "percent", "tiers": "1 12.3456", "award": "0"}
    assert staff_client.post("/staff/royalties/schedule", data=data).status_code == 302


def test_unicode_page_numbers_show_the_first_page(staff_client: FlaskClient) -> None:
    assert staff_client.get("/staff/royalties?page=²&designs_page=٣").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/royalties/payouts/99999999999999999999.csv",
        "/staff/royalties/payouts/99999999999999999999",
        "/staff/royalties/payouts/99999999999999999999.csv",
    ],
)
def test_payout_ids_past_the_id_range_are_not_found(staff_client: FlaskClient, path: str) -> None:
    assert staff_client.get(path).status_code == 404
