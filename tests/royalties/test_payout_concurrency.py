"""Real races on PostgreSQL: two staff members running payouts at the same moment."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from cocreate.config import settings
from cocreate.core import db
from cocreate.royalties import ledger, payouts
from cocreate.royalties.models import Payout
from tests.accounts.factories import StaffFactory, UserFactory
from tests.concurrency import TIMEOUT, Concurrent
from tests.royalties.payout_fixtures import cleared

pytestmark = pytest.mark.postgres_only

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_two_batches_at_once_pay_a_creator_once(concurrent: Concurrent) -> None:
    """The first batch locks the creator's payout account, takes the balance and holds its
    transaction open; the second saw the same creator eligible, waits on the lock, then reads
    the balance again and finds nothing left to pay."""
    with concurrent.setup() as session:
        creator = UserFactory(display_name="Maya Maker")
        staff = [StaffFactory(), StaffFactory()]
        cleared(session, creator, 3000, AT)
        ids = [s.id for s in staff]
    config = settings(concurrent.app)
    first_paid = threading.Event()
    first_may_commit = threading.Event()

    def run(number: int) -> list[int]:
        session = concurrent.session()
        with concurrent.request(session):
            if number == 1:
                assert first_paid.wait(TIMEOUT)
            actor = session.get_one(type(creator), ids[number])
            batch = payouts.run_batch(session, actor=actor, now=AT, settings=config)
            if number == 0:
                first_paid.set()
                assert first_may_commit.wait(TIMEOUT)
            db.commit()
            return [p.amount.amount for p in batch.payouts]

    first = concurrent.start(lambda: run(0))
    second = concurrent.start(lambda: run(1))
    assert first_paid.wait(TIMEOUT)
    concurrent.wait_until_blocked(1)  # the second waits on the creator's lock
    first_may_commit.set()
    concurrent.join()
    assert (first.error, second.error) == (None, None)
    assert (first.result, second.result) == ([3000], [])
    with concurrent.session() as check:
        assert [p.amount.amount for p in check.scalars(select(Payout))] == [3000]
        assert ledger.balance(check, creator.id, "EUR").cleared.amount == 0
