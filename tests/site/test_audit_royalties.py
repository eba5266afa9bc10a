"""The audit log's royalty entries: payout batches, manual payments recorded, transfers that
failed, and staff adjustments of a creator's royalties (who, creator, amount, reason)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cocreate.config import settings
from cocreate.core.clock import TestClock
from cocreate.core.money import Money
from cocreate.royalties import ledger, payouts
from cocreate.royalties.ledger import Leg
from cocreate.royalties.models import Account, Kind, PayoutAccount
from tests.accounts.factories import AdminFactory, StaffFactory, UserFactory
from tests.conftest import TEST_START
from tests.royalties.payout_fixtures import adjust, cleared
from tests.site.test_audit_log import _rows


def test_payouts_and_adjustments_are_in_the_log(
    app: Flask, client: FlaskClient, auth: Any, db_session: Session, clock: TestClock
) -> None:
    stan = StaffFactory(display_name="Stan Staff")
    ada = AdminFactory(email="ada@example.test", display_name="Ada Admin")
    maya = UserFactory(display_name="Maya Maker")
    otto = UserFactory(display_name="Otto Other")
    db_session.add(
        PayoutAccount(
            user_id=otto.id,
            threshold=Money(2500, "EUR"),
            stripe_account_id="acct_otto",
            stripe_ready=True,
            updated_at=TEST_START,
        )
    )
    cleared(db_session, maya, 3000, TEST_START)
    cleared(db_session, otto, 2500, TEST_START)
    clock.advance(timedelta(minutes=1))
    stripe_on = replace(settings(app), PAYMENT_GATEWAY="stripe")
    with app.test_request_context():  # the transfer's delivery is left out of this test
        batch = payouts.run_batch(db_session, actor=stan, now=clock.now(), settings=stripe_on)
    manual, transfer = batch.payouts
    clock.advance(timedelta(minutes=1))
    payouts.record_manual(db_session, manual, "VIR-0042", stan, clock.now())
    clock.advance(timedelta(minutes=1))
    payouts.transfer_failed(db_session, transfer, "No such destination: 'acct_otto'", clock.now())
    clock.advance(timedelta(minutes=1))
    adjust(db_session, maya, 300, clock.now(), ada, "Missed accrual")
    clock.advance(timedelta(minutes=1))
    adjust(db_session, otto, -150, clock.now(), ada, "Duplicate award")
    # A system adjustment (no actor) is not a staff action.
    ledger.post(
        db_session,
        kind=Kind.ADJUSTMENT,
        creator_id=otto.id,
        currency="EUR",
        legs=[Leg(Account.CREATOR_CLEARED, 100), Leg(Account.ROYALTY_EXPENSE, -100)],
        at=clock.now(),
        memo="Imported",
    )

    auth.login("ada@example.test")
    response = client.get("/staff/audit")
    assert response.status_code == 200
    assert _rows(response) == [
        "3/2/26, 10:05\u202fAM Ada Admin Royalties adjusted Otto Other -€1.50: Duplicate award",
        "3/2/26, 10:04\u202fAM Ada Admin Royalties adjusted Maya Maker €3.00: Missed accrual",
        "3/2/26, 10:03\u202fAM Stan Staff Payout transfer failed Otto Other"
        " No such destination: &#39;acct_otto&#39;",
        "3/2/26, 10:02\u202fAM Stan Staff Payout recorded paid Maya Maker VIR-0042",
        f"3/2/26, 10:01\u202fAM Stan Staff Payouts run {batch.number} 2 payouts, €55.00",
    ]
    html = response.get_data(as_text=True)
    assert f'href="/staff/royalties/payouts/{manual.id}"' in html
    assert f'href="/staff/royalties/payouts/{transfer.id}"' in html
    assert f'href="/designers/{maya.id}"' in html
    kinds = client.get("/staff/audit?kind=payouts_run")
    assert len(_rows(kinds)) == 1
