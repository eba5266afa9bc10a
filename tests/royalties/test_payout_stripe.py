"""Payouts through Stripe Connect end to end, against the loopback fake of Stripe: a creator
connects a bank account (Express account, onboarding link, return), staff run a batch, the
outbox sends the transfer, the payout ends PAID; a refused transfer ends FAILED with the
balance restored and shown to staff; an outage is retried without transferring twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.core import jobs
from cocreate.core.clock import TestClock
from cocreate.core.outbox import OutboxMessage, OutboxStatus
from cocreate.royalties import ledger
from cocreate.royalties.models import Payout, PayoutAccount, PayoutMethod, PayoutState
from tests.accounts.factories import StaffFactory, UserFactory
from tests.payments.conftest import STRIPE
from tests.royalties import fake_connect
from tests.royalties.fake_connect import FakeConnect
from tests.royalties.payout_fixtures import cleared

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def connect_server() -> Iterator[FakeConnect]:
    with fake_connect.serve() as state:
        yield state


@pytest.fixture
def fake(connect_server: FakeConnect) -> FakeConnect:
    connect_server.reset()
    return connect_server


@pytest.fixture
def app_overrides(connect_server: FakeConnect) -> dict[str, Any]:
    return {**STRIPE, "STRIPE_API_BASE": connect_server.url}


@pytest.fixture
def people(db_session: Session, clock: TestClock) -> dict[str, Any]:
    return {
        "creator": UserFactory(email="maya@example.test", display_name="Maya Maker"),
        "staff": StaffFactory(email="stan@example.test", display_name="Stan Staff"),
    }


def _text(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _connect(client: FlaskClient, auth: Any, fake: FakeConnect, db_session: Session) -> str:
    """The creator connects and finishes onboarding; returns their Stripe account id."""
    auth.login("maya@example.test")
    assert "Connect a bank account with Stripe" in _text(client, "/royalties/payouts")
    response = client.post("/royalties/payouts/connect")
    assert response.status_code == 302
    (account,) = fake.accounts.values()
    assert response.headers["Location"].startswith(
        f"https://connect.stripe.test/setup/e/{account['id']}/"
    )
    (link,) = fake.seen("POST", "/v1/account_links")
    assert link.form["type"] == "account_onboarding"
    assert link.form["return_url"] == "http://localhost/royalties/payouts/connect/return"
    assert link.form["refresh_url"] == "http://localhost/royalties/payouts/connect/refresh"
    # Back before finishing: not ready yet, staff would pay by bank transfer.
    response = client.get("/royalties/payouts/connect/return", follow_redirects=True)
    assert "Stripe still needs some details" in response.get_data(as_text=True)
    fake.onboard(account["id"])
    response = client.get("/royalties/payouts/connect/return", follow_redirects=True)
    assert "Your bank account is connected" in response.get_data(as_text=True)
    db_session.expire_all()
    creator_id = db_session.scalars(select(PayoutAccount.user_id)).one()
    stored = db_session.get_one(PayoutAccount, creator_id)
    assert (stored.stripe_account_id, stored.stripe_ready) == (account["id"], True)
    auth.logout()
    return str(account["id"])


def test_connect_creates_one_express_account_per_creator(
    client: FlaskClient, auth: Any, fake: FakeConnect, people: dict[str, Any]
) -> None:
    creator = people["creator"]
    auth.login("maya@example.test")
    assert client.post("/royalties/payouts/connect").status_code == 302
    assert client.post("/royalties/payouts/connect").status_code == 302
    (created,) = fake.seen("POST", "/v1/accounts")
    assert created.headers["Idempotency-Key"] == f"connect-account-{creator.id}"
    assert created.form["type"] == "express"
    assert created.form["email"] == "maya@example.test"
    assert created.form["capabilities[transfers][requested]"] == "true"
    assert len(fake.accounts) == 1
    assert len(fake.seen("POST", "/v1/account_links")) == 2
    # The link expired: Stripe sends them to refresh, which makes a new one.
    response = client.get("/royalties/payouts/connect/refresh")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://connect.stripe.test/setup/e/acct_")
    assert len(fake.seen("POST", "/v1/account_links")) == 3


def test_the_whole_path_connect_batch_transfer_paid(
    app: Flask,
    client: FlaskClient,
    auth: Any,
    fake: FakeConnect,
    db_session: Session,
    people: dict[str, Any],
) -> None:
    account_id = _connect(client, auth, fake, db_session)
    creator = people["creator"]
    cleared(db_session, creator, 3000, AT)
    cleared(db_session, creator, 1250, AT)
    auth.login("stan@example.test")
    page = _text(client, "/staff/royalties/payouts")
    assert "Maya Maker" in page and "€42.50" in page and "Stripe transfer" in page
    response = client.post("/staff/royalties/payouts/run", follow_redirects=True)
    assert response.status_code == 200
    assert "1 payout, €42.50 in all" in response.get_data(as_text=True)
    (transfer,) = fake.seen("POST", "/v1/transfers")
    db_session.expire_all()
    payout = db_session.scalars(select(Payout)).one()
    assert transfer.headers["Idempotency-Key"] == f"payout-{payout.id}"
    assert (transfer.form["amount"], transfer.form["currency"]) == ("4250", "eur")
    assert transfer.form["destination"] == account_id
    assert transfer.form["metadata[payout_id]"] == str(payout.id)
    (made,) = fake.transfers.values()
    assert (payout.method, payout.state, payout.reference) == (
        PayoutMethod.STRIPE,
        PayoutState.PAID,
        made["id"],
    )
    assert ledger.balance(db_session, creator.id, "EUR").cleared.amount == 0
    page = _text(client, "/staff/royalties/payouts")
    assert made["id"] in page and "paid" in page
    # The creator sees it too.
    auth.logout()
    auth.login("maya@example.test")
    page = _text(client, "/royalties/payouts")
    assert "€42.50" in page and made["id"] in page and "Stripe transfer" in page


def test_a_refused_transfer_fails_restores_the_balance_and_is_shown_to_staff(
    client: FlaskClient,
    auth: Any,
    fake: FakeConnect,
    db_session: Session,
    people: dict[str, Any],
) -> None:
    account_id = _connect(client, auth, fake, db_session)
    # Stripe withdrew the account's transfers capability since.
    fake.accounts[account_id]["capabilities"]["transfers"] = "inactive"
    creator = people["creator"]
    cleared(db_session, creator, 2500, AT)
    auth.login("stan@example.test")
    assert client.post("/staff/royalties/payouts/run").status_code == 302
    db_session.expire_all()
    payout = db_session.scalars(select(Payout)).one()
    assert (payout.state, payout.failure) == (PayoutState.FAILED, fake_connect.NOT_READY)
    assert fake.transfers == {}
    assert ledger.balance(db_session, creator.id, "EUR").cleared.amount == 2500
    message = db_session.scalars(select(OutboxMessage)).one()
    assert message.status is OutboxStatus.SENT  # handled: not retried
    page = _text(client, "/staff/royalties/payouts")
    assert f'<tr id="payout-{payout.id}" class="failed">' in page
    assert f"Stripe said: {fake_connect.NOT_READY}" in page
    assert "the next run pays it again" in page
    detail = _text(client, f"/staff/royalties/payouts/{payout.id}")
    assert "sent → failed by the system" in detail
    # Still owed: the next batch pays the restored balance.
    assert "€25.00" in page.split("payouts-owed")[1].split("Batches")[0]


def test_an_outage_is_retried_and_transfers_once(
    app: Flask,
    client: FlaskClient,
    auth: Any,
    fake: FakeConnect,
    db_session: Session,
    clock: TestClock,
    people: dict[str, Any],
) -> None:
    _connect(client, auth, fake, db_session)
    cleared(db_session, people["creator"], 2600, AT)
    fake.fail_next = 1
    auth.login("stan@example.test")
    assert client.post("/staff/royalties/payouts/run").status_code == 302
    db_session.expire_all()
    payout = db_session.scalars(select(Payout)).one()
    message = db_session.scalars(select(OutboxMessage)).one()
    assert payout.state is PayoutState.SENT
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert "APIError" in (message.last_error or "")
    clock.advance(timedelta(minutes=2))
    jobs.deliver(app)
    db_session.expire_all()
    assert db_session.get_one(Payout, payout.id).state is PayoutState.PAID
    assert len(fake.transfers) == 1
    assert len(fake.seen("POST", "/v1/transfers")) == 2


def test_sender_without_stripe_raises(app: Flask) -> None:
    from cocreate.royalties import connect, payout_sender

    sender = payout_sender.make_sender(app)
    app.extensions.pop(connect.EXTENSION)
    with pytest.raises(LookupError):
        sender(OutboxMessage(kind="royalties.transfer", payload={"payout_id": 1}))
