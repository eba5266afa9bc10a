"""Real races on PostgreSQL: Stripe delivering one event twice at the same moment."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from cocreate.core import db
from cocreate.payments import webhooks
from cocreate.payments.models import StripeEvent
from tests.concurrency import TIMEOUT, Concurrent
from tests.payments.conftest import session_object
from tests.payments.fake_shop import FakeShop

pytestmark = pytest.mark.postgres_only

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_two_deliveries_of_one_event_at_once_apply_it_once(concurrent: Concurrent) -> None:
    """The first stores and applies the event and holds its transaction open; the second finds
    no committed row, so its insert waits on the id's unique key, then is refused when the
    first commits: it answers "duplicate" and the shop is asked once."""
    shop = FakeShop()
    order = shop.add("CC-1001", "cs_test_1")
    payload = {
        "id": "evt_twice",
        "type": "checkout.session.completed",
        "created": int(NOW.timestamp()),
        "data": {"object": session_object()},
    }
    first_applied = threading.Event()
    first_may_commit = threading.Event()

    def delivery(number: int) -> webhooks.Outcome:
        session = concurrent.session()
        with concurrent.request(session):
            if number == 1:
                assert first_applied.wait(TIMEOUT)
            outcome = webhooks.handle(session, webhooks.envelope(payload), shop=shop, now=NOW)
            if number == 0:
                first_applied.set()
                assert first_may_commit.wait(TIMEOUT)
            db.commit()
            return outcome

    first = concurrent.start(lambda: delivery(0))
    second = concurrent.start(lambda: delivery(1))
    assert first_applied.wait(TIMEOUT)
    concurrent.wait_until_blocked(1)  # the second's insert waits on the first's
    first_may_commit.set()
    concurrent.join()
    assert (first.error, second.error) == (None, None)
    assert (first.result, second.result) == (webhooks.Outcome.APPLIED, webhooks.Outcome.DUPLICATE)
    assert [call[0] for call in shop.calls] == ["paid"]
    assert order.state == "paid"
    with concurrent.session() as check:
        assert check.scalar(select(func.count()).select_from(StripeEvent)) == 1
