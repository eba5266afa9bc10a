"""POST /webhooks/stripe as Stripe calls it: signed raw bodies, replays, garbage, failures."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.core.clock import TestClock
from cocreate.payments.models import StripeEvent
from tests.payments.conftest import STRIPE, Deliverer, event, refund_object, session_object
from tests.payments.fake_shop import FakeOrder, FakeShop


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return dict(STRIPE)


@pytest.fixture
def order(shop: FakeShop) -> FakeOrder:
    return shop.add("CC-1001", "cs_test_1")


def stored(db_session: Session) -> int:
    return db_session.scalar(select(func.count()).select_from(StripeEvent)) or 0


COMPLETED = event("checkout.session.completed", session_object())


def test_a_signed_payment_marks_the_order_paid(
    deliver: Deliverer, db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    response = deliver.send(COMPLETED)
    assert response.status_code == 200
    assert response.json == {"received": True, "outcome": "applied"}
    assert order.state == "paid"
    assert [call[:3] for call in shop.calls] == [("paid", "CC-1001", "pi_1")]
    row = db_session.get(StripeEvent, "evt_1")
    assert row is not None and (row.outcome, row.source) == ("applied", "webhook")


def test_a_replayed_delivery_changes_nothing(
    deliver: Deliverer, db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    header = deliver.header(COMPLETED)
    assert deliver.send(COMPLETED, header).json["outcome"] == "applied"
    # The same delivery again (Stripe's retry, or someone replaying a captured one in time).
    replay = deliver.send(COMPLETED, header)
    assert (replay.status_code, replay.json["outcome"]) == (200, "duplicate")
    # A fresh signature on the same event id: a duplicate too.
    assert deliver.send(COMPLETED).json["outcome"] == "duplicate"
    assert len(shop.calls) == 1
    assert stored(db_session) == 1


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "t=1772442000",
        "t=1772442000,v1=" + "0" * 64,
        "v1=" + "0" * 64,
        "t=abc,v1=def",
    ],
)
def test_a_bad_or_missing_signature_is_400_and_changes_nothing(
    client: FlaskClient,
    clock: TestClock,
    db_session: Session,
    shop: FakeShop,
    order: FakeOrder,
    header: str | None,
) -> None:
    headers = {} if header is None else {"Stripe-Signature": header}
    response = client.post(
        "/webhooks/stripe", data=COMPLETED, headers=headers, content_type="application/json"
    )
    assert response.status_code == 400
    assert "error" in response.json
    assert (shop.calls, order.state, stored(db_session)) == ([], "pending_payment", 0)


def test_a_signature_with_another_secret_is_400(
    deliver: Deliverer, db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    response = deliver.send(COMPLETED, deliver.header(COMPLETED, secret="whsec_attacker"))
    assert response.status_code == 400
    assert response.json == {"error": "bad signature"}
    assert (shop.calls, stored(db_session)) == ([], 0)


def test_a_tampered_body_is_400(
    deliver: Deliverer, db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    header = deliver.header(COMPLETED)
    tampered = COMPLETED.replace(b"4980", b"0001")
    assert deliver.send(tampered, header).status_code == 400
    assert shop.calls == []


def test_a_stale_delivery_is_400_within_tolerance_is_accepted(
    deliver: Deliverer, clock: TestClock, db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    header = deliver.header(COMPLETED)
    clock.advance(timedelta(seconds=301))
    response = deliver.send(COMPLETED, header)
    assert (response.status_code, response.json) == (
        400,
        {"error": "signature timestamp outside the tolerance"},
    )
    assert stored(db_session) == 0
    clock.advance(timedelta(seconds=-1))
    assert deliver.send(COMPLETED, header).status_code == 200


def test_an_unknown_order_is_stored_200_and_changes_nothing(
    deliver: Deliverer, db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    body = event("checkout.session.completed", session_object("cs_test_unknown"))
    response = deliver.send(body)
    assert (response.status_code, response.json["outcome"]) == (200, "unknown order")
    assert (shop.calls, order.state, stored(db_session)) == ([], "pending_payment", 1)


def test_events_we_do_not_handle_get_a_2xx(
    deliver: Deliverer, db_session: Session, shop: FakeShop
) -> None:
    response = deliver.send(event("invoice.paid", {"id": "in_1"}))
    assert (response.status_code, response.json["outcome"]) == (200, "ignored")


def test_out_of_order_expiry_after_payment_changes_nothing(
    deliver: Deliverer, db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    deliver.send(COMPLETED)
    expired = event(
        "checkout.session.expired",
        session_object(payment_status="unpaid", intent=None),
        event_id="evt_2",
    )
    assert deliver.send(expired).json["outcome"] == "no change"
    assert order.state == "paid"


def test_out_of_order_refund_before_payment(
    deliver: Deliverer, db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    refund = event("refund.updated", refund_object(amount=4980), event_id="evt_r")
    assert deliver.send(refund).json["outcome"] == "waiting"
    assert deliver.send(COMPLETED).json["outcome"] == "applied"
    assert order.state == "refunded"


GARBAGE = [
    b"",
    b"null",
    b"[]",
    b"{}",
    b"\x00\xff\xfe",
    b"[" * 100_000,
    b'{"id": "evt_x", "type": "checkout.session.completed", "created": "soon", "data": {}}',
    b'{"id": "evt_x", "type": "checkout.session.completed", "created": 1e999, "data": {}}',
    b'{"id": ["evt_x"], "type": 5, "created": 1, "data": {"object": {}}}',
]


@pytest.mark.parametrize("body", GARBAGE)
def test_signed_garbage_is_400_never_500(
    deliver: Deliverer, db_session: Session, shop: FakeShop, body: bytes
) -> None:
    response = deliver.send(body)
    assert response.status_code == 400
    assert set(response.json) == {"error"}
    assert stored(db_session) == 0


def test_the_400_says_why(deliver: Deliverer, shop: FakeShop) -> None:
    assert deliver.send(b"[]").json == {"error": "not an event"}
    assert deliver.send(b"nope").json == {"error": "not JSON"}


@pytest.mark.parametrize(
    "obj",
    [
        {},
        {"id": 5},
        {"id": "cs_test_1", "payment_status": "paid", "amount_total": "lots"},
        {"id": "cs_test_1", "payment_status": ["paid"]},
        {"id": "cs_test_1", "payment_status": "paid", "payment_intent": {"id": "pi"}},
    ],
)
def test_a_signed_event_with_a_broken_object_is_stored_200(
    deliver: Deliverer, db_session: Session, shop: FakeShop, order: FakeOrder, obj: dict[str, Any]
) -> None:
    response = deliver.send(event("checkout.session.completed", obj))
    assert (response.status_code, response.json["outcome"]) == (200, "malformed")
    assert (shop.calls, order.state, stored(db_session)) == ([], "pending_payment", 1)


def test_a_genuine_failure_is_500_and_stores_nothing(
    app: Flask, deliver: Deliverer, db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    # Stripe retries a 5xx: the event must not be kept as if it had been applied.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    shop.fail_with = RuntimeError("lost the database")
    assert deliver.send(COMPLETED).status_code == 500
    assert stored(db_session) == 0
    shop.fail_with = None
    assert deliver.send(COMPLETED).json["outcome"] == "applied"
    assert stored(db_session) == 1


def test_get_is_not_allowed(client: FlaskClient) -> None:
    assert client.get("/webhooks/stripe").status_code == 405


def test_a_json_body_is_read_raw_not_reencoded(
    deliver: Deliverer, db_session: Session, shop: FakeShop, order: FakeOrder
) -> None:
    # Signed bytes with odd spacing and key order: re-serialising them would break the HMAC.
    body = json.dumps(json.loads(COMPLETED), separators=(" ,", ":  ")).encode()
    assert deliver.send(body).status_code == 200
