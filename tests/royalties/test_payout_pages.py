"""The payout pages without Stripe: a creator's threshold and payouts, staff running a batch
and recording bank transfers, each payout's CSV of what it covers, and who may see what."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.config import settings
from cocreate.core.money import Money
from cocreate.royalties import ledger, payouts
from cocreate.royalties.ledger import Leg
from cocreate.royalties.models import (
    Account,
    Kind,
    Payout,
    PayoutAccount,
    PayoutMethod,
    PayoutState,
)
from cocreate.shop.models import OrderLine
from tests.accounts.factories import StaffFactory, UserFactory
from tests.royalties.payout_fixtures import adjust, award, cleared, reversed_from_cleared
from tests.shop.checkout_factories import VariantFactory, place

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 4, 6, 10, 0, tzinfo=UTC)


@pytest.fixture
def people(db_session: Session) -> dict[str, Any]:
    return {
        "maya": UserFactory(email="maya@example.test", display_name="Maya Maker"),
        "other": UserFactory(email="other@example.test", display_name="Otto Other"),
        "stan": StaffFactory(email="stan@example.test", display_name="Stan Staff"),
    }


def _rows(csv_text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_text)))


def _line(db_session: Session, app: Flask, creator: Any, units: int) -> tuple[OrderLine, str]:
    """An order line of `units` of the creator's design "Night Owl", and its order's number."""
    variant = VariantFactory(design__designer=creator, design__title="Night Owl")
    order = place(db_session, settings(app), [(variant, units)], now=AT)
    return order.lines[0], order.number


# -- the creator's page --------------------------------------------------------------------------


def test_the_creator_sees_their_threshold_balance_and_bank_transfer_note(
    client: FlaskClient, auth: Any, db_session: Session, people: dict[str, Any]
) -> None:
    cleared(db_session, people["maya"], 1234, AT)
    auth.login("maya@example.test")
    page = client.get("/royalties/payouts").get_data(as_text=True)
    assert "Your cleared earnings: €12.34." in page
    assert "now €25.00" in page
    assert 'value="25.00"' in page
    assert "Payouts are made by bank transfer by our staff" in page
    assert "Connect a bank account" not in page
    assert "No payout yet." in page
    assert client.post("/royalties/payouts/connect").status_code == 404
    assert client.get("/royalties/payouts/connect/return").status_code == 404


@pytest.mark.parametrize(
    ("typed", "status", "stored"),
    [
        ("24.99", 422, None),
        ("25", 302, 2500),
        ("25,00", 302, 2500),
        ("80.5", 302, 8050),
        ("", 422, None),
        ("abc", 422, None),
        ("25.001", 422, None),
    ],
)
def test_the_threshold_is_never_below_the_minimum(
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    people: dict[str, Any],
    typed: str,
    status: int,
    stored: int | None,
) -> None:
    auth.login("maya@example.test")
    response = client.post("/royalties/payouts/threshold", data={"threshold": typed})
    assert response.status_code == status
    db_session.expire_all()
    account = db_session.get(PayoutAccount, people["maya"].id)
    if stored is None:
        assert account is None
        text = response.get_data(as_text=True)
        assert "Your threshold cannot be below the site minimum of €25.00." in text or (
            "Please enter your threshold as an amount such as 50.00." in text
        )
    else:
        assert account is not None and account.threshold == Money(stored, "EUR")


def test_below_the_minimum_says_so(client: FlaskClient, auth: Any, people: dict[str, Any]) -> None:
    auth.login("maya@example.test")
    response = client.post("/royalties/payouts/threshold", data={"threshold": "10"})
    assert response.status_code == 422
    assert "Your threshold cannot be below the site minimum of €25.00." in response.get_data(
        as_text=True
    )


def test_a_creator_sees_and_downloads_only_their_own_payouts(
    client: FlaskClient, auth: Any, db_session: Session, people: dict[str, Any], app: Flask
) -> None:
    maya, other, stan = people["maya"], people["other"], people["stan"]
    cleared(db_session, maya, 3000, AT)
    cleared(db_session, other, 4100, AT)
    with app.test_request_context():
        batch = payouts.run_batch(db_session, actor=stan, now=AT, settings=settings(app))
    mine, theirs = batch.payouts
    auth.login("maya@example.test")
    page = client.get("/royalties/payouts").get_data(as_text=True)
    assert "€30.00" in page and "€41.00" not in page
    assert "bank transfer by staff" in page and "sent" in page
    assert client.get(f"/royalties/payouts/{mine.id}.csv").status_code == 200
    assert client.get(f"/royalties/payouts/{theirs.id}.csv").status_code == 404
    assert client.get("/royalties/payouts/999999.csv").status_code == 404
    for path in (
        "/staff/royalties/payouts",
        f"/staff/royalties/payouts/{mine.id}",
        f"/staff/royalties/payouts/{mine.id}.csv",
    ):
        assert client.get(path).status_code == 403, path
    for path in ("/staff/royalties/payouts/run", f"/staff/royalties/payouts/{mine.id}/record"):
        assert client.post(path, data={"reference": "x"}).status_code == 403, path
    db_session.expire_all()
    assert db_session.get_one(Payout, mine.id).state is PayoutState.SENT


# -- staff ---------------------------------------------------------------------------------------


def test_staff_preview_run_and_record_manual_payouts(
    client: FlaskClient, auth: Any, db_session: Session, people: dict[str, Any]
) -> None:
    maya, other = people["maya"], people["other"]
    cleared(db_session, maya, 2500, AT)
    cleared(db_session, other, 2499, AT)
    auth.login("stan@example.test")
    page = client.get("/staff/royalties/payouts").get_data(as_text=True)
    owed = page.split("payouts-owed")[1].split("</table>")[0]
    assert "Maya Maker" in owed and "€25.00" in owed and "bank transfer by staff" in owed
    assert "Otto Other" not in owed
    assert "Pay 1 creator €25.00 in all?" in page
    assert "No payout run yet." in page
    response = client.post("/staff/royalties/payouts/run", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "1 payout, €25.00 in all." in text
    assert "Nobody's cleared earnings reach their threshold." in text
    payout = db_session.scalars(select(Payout)).one()
    assert (payout.method, payout.state) == (PayoutMethod.MANUAL, PayoutState.SENT)
    assert f'id="reference-{payout.id}"' in text
    # Nothing owed now: running again makes nothing.
    response = client.post("/staff/royalties/payouts/run", follow_redirects=True)
    assert "no payout made" in response.get_data(as_text=True)
    # The reference is required.
    response = client.post(f"/staff/royalties/payouts/{payout.id}/record", data={"reference": " "})
    assert response.status_code == 422
    assert "Please enter the bank transfer" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get_one(Payout, payout.id).state is PayoutState.SENT
    response = client.post(
        f"/staff/royalties/payouts/{payout.id}/record", data={"reference": "VIR-0042"}
    )
    assert response.status_code == 302
    db_session.expire_all()
    paid = db_session.get_one(Payout, payout.id)
    assert (paid.state, paid.reference) == (PayoutState.PAID, "VIR-0042")
    detail = client.get(f"/staff/royalties/payouts/{payout.id}").get_data(as_text=True)
    assert "sent → paid by Stan Staff: VIR-0042" in detail
    assert "Record the bank transfer" not in detail
    # Recorded twice: refused, 409.
    response = client.post(
        f"/staff/royalties/payouts/{payout.id}/record", data={"reference": "VIR-0043"}
    )
    assert response.status_code == 409
    assert "This payout is already paid." in response.get_data(as_text=True)
    assert client.get("/staff/royalties/payouts/999999").status_code == 404
    # The creator sees the reference.
    auth.logout()
    auth.login("maya@example.test")
    assert "VIR-0042" in client.get("/royalties/payouts").get_data(as_text=True)


# -- what a payout covers ------------------------------------------------------------------------


def test_the_csv_lists_what_the_payout_covers_and_sums_to_it(
    client: FlaskClient, auth: Any, db_session: Session, people: dict[str, Any], app: Flask
) -> None:
    maya, stan = people["maya"], people["stan"]
    line, order_number = _line(db_session, app, maya, units=2)
    cleared(db_session, maya, 500, AT, line)
    award(db_session, maya, 2500, AT, design_id=line.design_id)
    adjust(db_session, maya, 300, AT, stan, "Missed accrual")
    reversed_from_cleared(db_session, maya, 250, AT, line)
    auth.login("stan@example.test")
    assert client.post("/staff/royalties/payouts/run").status_code == 302
    payout = db_session.scalars(select(Payout)).one()
    assert payout.amount == Money(3050, "EUR")
    response = client.get(f"/staff/royalties/payouts/{payout.id}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f"attachment; filename=payout-{payout.id}.csv"
    assert _rows(response.get_data(as_text=True)) == [
        ["Date", "Kind", "Order", "Design", "Units", "Details", "Amount"],
        ["2026-03-02", "clearing", order_number, "Night Owl", "2", "", "5.00"],
        ["2026-03-02", "award", "", "Night Owl", "", "", "25.00"],
        ["2026-03-02", "adjustment", "", "", "", "Missed accrual", "3.00"],
        ["2026-03-02", "reversal", order_number, "Night Owl", "1", "", "-2.50"],
        ["", "Total", "", "", "", "EUR", "30.50"],
    ]
    # The creator downloads the same file.
    auth.logout()
    auth.login("maya@example.test")
    mine = client.get(f"/royalties/payouts/{payout.id}.csv").get_data(as_text=True)
    assert mine == response.get_data(as_text=True)


@pytest.mark.usefixtures("request_ctx")
def test_a_payout_covers_what_came_after_the_previous_one_and_carries_the_rest(
    db_session: Session, people: dict[str, Any], app: Flask
) -> None:
    maya, stan = people["maya"], people["stan"]
    config = settings(app)
    award(db_session, maya, 5000, AT)
    # A payout made outside a batch (an import from the old system) left 20.00 behind.
    earlier = Payout(
        creator_id=maya.id,
        batch="import",
        amount=Money(3000, "EUR"),
        method=PayoutMethod.MANUAL,
        state=PayoutState.PAID,
        created_at=AT,
    )
    db_session.add(earlier)
    db_session.flush()
    ledger.post(
        db_session,
        kind=Kind.PAYOUT,
        creator_id=maya.id,
        currency="EUR",
        legs=[Leg(Account.CREATOR_CLEARED, -3000), Leg(Account.PAYOUTS_IN_TRANSIT, 3000)],
        at=AT,
        payout_id=earlier.id,
    )
    cleared(db_session, maya, 1000, LATER)
    (payout,) = payouts.run_batch(db_session, actor=stan, now=LATER, settings=config).payouts
    assert payout.amount == Money(3000, "EUR")
    lines = payouts.covers(db_session, payout)
    assert _rows(payouts.covers_csv(payout, lines))[1:] == [
        ["2026-04-06", "clearing", "", "", "", "", "10.00"],
        ["", "carried over", "", "", "", "the cleared balance before these lines", "20.00"],
        ["", "Total", "", "", "", "EUR", "30.00"],
    ]
    # The earlier payout covers the award, less what it left behind.
    assert _rows(payouts.covers_csv(earlier, payouts.covers(db_session, earlier)))[1:] == [
        ["2026-03-02", "award", "", "", "", "", "50.00"],
        ["", "carried over", "", "", "", "the cleared balance before these lines", "-20.00"],
        ["", "Total", "", "", "", "EUR", "30.00"],
    ]


@pytest.mark.usefixtures("request_ctx")
def test_a_failed_payout_is_listed_in_the_one_that_pays_it_again(
    db_session: Session, people: dict[str, Any], app: Flask
) -> None:
    maya, stan = people["maya"], people["stan"]
    config = settings(app)
    db_session.add(
        PayoutAccount(
            user_id=maya.id, threshold=Money(2500, "EUR"), stripe_ready=True, updated_at=AT
        )
    )
    cleared(db_session, maya, 2600, AT)
    (failed,) = payouts.run_batch(db_session, actor=stan, now=AT, settings=config).payouts
    payouts.transfer_failed(db_session, failed, "No such destination", AT)
    award(db_session, maya, 400, LATER)
    (again,) = payouts.run_batch(db_session, actor=stan, now=LATER, settings=config).payouts
    assert again.amount == Money(3000, "EUR")
    assert _rows(payouts.covers_csv(again, payouts.covers(db_session, again)))[1:] == [
        ["2026-03-02", "clearing", "", "", "", "", "26.00"],
        ["2026-03-02", "payout", "", "", "", f"payout {failed.id} sent", "-26.00"],
        [
            "2026-03-02",
            "payout",
            "",
            "",
            "",
            f"payout {failed.id} returned after a failed transfer",
            "26.00",
        ],
        ["2026-04-06", "award", "", "", "", "", "4.00"],
        ["", "Total", "", "", "", "EUR", "30.00"],
    ]
