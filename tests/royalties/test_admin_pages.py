"""Staff pages: close a month, adjust earnings, add a schedule version."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.core.clock import TestClock
from cocreate.royalties.models import (
    Kind,
    LedgerTransaction,
    RoyaltySchedule,
    ScheduleBasis,
    Statement,
)
from tests.accounts.factories import UserFactory
from tests.conftest import Auth
from tests.royalties.conftest import Shop


def test_members_are_refused(client: FlaskClient, auth: Auth, db_session: Session) -> None:
    UserFactory(email="member@example.test")
    auth.login("member@example.test")
    for path in ("/staff/royalties/periods", "/staff/royalties/schedule"):
        assert client.get(path).status_code == 403
    assert client.post("/staff/royalties/periods/2026-02/close").status_code == 403


def test_staff_close_an_ended_month(
    staff_client: FlaskClient, shop: Shop, db_session: Session, clock: TestClock
) -> None:
    shop.sell((shop.variant(shop.design()), 3))
    db_session.commit()
    page = staff_client.get("/staff/royalties/periods")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    # March has not ended: nothing to close yet.
    assert "No royalties" not in text and "Close month" not in text
    refused = staff_client.post("/staff/royalties/periods/2026-03/close")
    assert refused.status_code == 422
    assert "2026-03 has not ended yet." in refused.get_data(as_text=True)
    from datetime import timedelta

    clock.advance(timedelta(days=30))
    page = staff_client.get("/staff/royalties/periods").get_data(as_text=True)
    assert "Close month" in page
    done = staff_client.post("/staff/royalties/periods/2026-03/close", follow_redirects=True)
    assert done.status_code == 200
    assert "2026-03 is closed: 1 statement written." in done.get_data(as_text=True)
    assert len(db_session.scalars(select(Statement)).all()) == 1
    again = staff_client.post("/staff/royalties/periods/2026-03/close", follow_redirects=True)
    assert "2026-03 was already closed." in again.get_data(as_text=True)


def test_staff_adjust_earnings(staff_client: FlaskClient, db_session: Session) -> None:
    creator = UserFactory(email="maker@example.test", display_name="Maker")
    db_session.commit()
    assert staff_client.get("/staff/royalties/adjustments/new").status_code == 200
    response = staff_client.post(
        "/staff/royalties/adjustments/new",
        data={"creator": "Maker@example.test", "amount": "-3.50", "reason": "double award"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "-€3.50 recorded for Maker." in response.get_data(as_text=True)
    row = db_session.scalars(select(LedgerTransaction)).one()
    assert (row.kind, row.creator_id, row.memo, row.entries[0].amount.amount) == (
        Kind.ADJUSTMENT,
        creator.id,
        "double award",
        -350,
    )
    by_id = staff_client.post(
        "/staff/royalties/adjustments/new",
        data={"creator": str(creator.id), "amount": "2", "reason": "bonus"},
    )
    assert by_id.status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"creator": "maker@example.test", "amount": "3.50", "reason": " "}, "Please say why"),
        ({"creator": "maker@example.test", "amount": "abc", "reason": "r"}, "as a number"),
        ({"creator": "maker@example.test", "amount": "0.001", "reason": "r"}, "as a number"),
        ({"creator": "maker@example.test", "amount": "0", "reason": "r"}, "cannot be zero"),
        ({"creator": "nobody@example.test", "amount": "1", "reason": "r"}, "no member"),
        ({"creator": "99999", "amount": "1", "reason": "r"}, "no member"),
    ],
)
def test_a_wrong_adjustment_answers_422(
    staff_client: FlaskClient, db_session: Session, data: dict[str, str], message: str
) -> None:
    UserFactory(email="maker@example.test")
    db_session.commit()
    response = staff_client.post("/staff/royalties/adjustments/new", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db_session.scalars(select(LedgerTransaction)).all() == []


def test_staff_add_a_schedule_version(staff_client: FlaskClient, db_session: Session) -> None:
    page = staff_client.get("/staff/royalties/schedule").get_data(as_text=True)
    assert "from unit 101: 12 %" in page
    response = staff_client.post(
        "/staff/royalties/schedule",
        data={
            "effective_from": "2026-04-01",
            "basis": "per_unit",
            "tiers": "1 1.50\n\n11 2",
            "award": "5",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "The new schedule applies from 2026-04-01." in text
    assert "from unit 11: €2.00" in text
    saved = db_session.scalars(select(RoyaltySchedule)).one()
    assert (saved.basis, saved.award.amount) == (ScheduleBasis.PER_UNIT, 500)
    assert [(t.first_unit, t.rate, t.per_unit_amount) for t in saved.tiers] == [
        (1, None, 150),
        (11, None, 200),
    ]
    percent = staff_client.post(
        "/staff/royalties/schedule",
        data={"effective_from": "2026-05-01", "basis": "percent", "tiers": "1 12.5", "award": ""},
    )
    assert percent.status_code == 302
    latest = db_session.scalars(
        select(RoyaltySchedule).order_by(RoyaltySchedule.effective_from.desc())
    ).first()
    assert latest is not None and latest.tiers[0].rate == Decimal("0.125")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"effective_from": "2026-03-01", "basis": "percent", "tiers": "1 10"}, "in the past"),
        ({"effective_from": "1 April", "basis": "percent", "tiers": "1 10"}, "YYYY-MM-DD"),
        ({"effective_from": "2026-04-01", "basis": "both", "tiers": "1 10"}, "Choose"),
        (
            {"effective_from": "2026-04-01", "basis": "percent", "tiers": "one 10"},
            "one tier a line",
        ),
        ({"effective_from": "2026-04-01", "basis": "percent", "tiers": "1 ten"}, "is not a number"),
        ({"effective_from": "2026-04-01", "basis": "percent", "tiers": "1 110"}, "from 0 to 100"),
        ({"effective_from": "2026-04-01", "basis": "percent", "tiers": "2 10"}, "unit 1"),
    ],
)
def test_a_wrong_schedule_answers_422(
    staff_client: FlaskClient, clock: TestClock, data: dict[str, str], message: str
) -> None:
    response = staff_client.post("/staff/royalties/schedule", data={"award": "0", **data})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
