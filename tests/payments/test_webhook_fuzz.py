"""Random signed event bodies never give a 500 (kept out of `make mutation`: slow per mutant)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.payments.conftest import STRIPE, Deliverer, event
from tests.payments.fake_shop import FakeShop


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return dict(STRIPE)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(
        [
            "checkout.session.completed",
            "checkout.session.async_payment_succeeded",
            "checkout.session.async_payment_failed",
            "checkout.session.expired",
            "charge.refunded",
            "refund.updated",
        ]
    ),
    obj=st.dictionaries(
        st.sampled_from(
            ["id", "payment_status", "payment_intent", "amount_total", "amount", "currency",
             "status", "refunds"]
        ),
        json_values,
    ),
    number=st.integers(min_value=0, max_value=10**9),
)  # fmt: skip
def test_no_signed_event_body_gives_a_500(
    app: Flask, deliver: Deliverer, shop: FakeShop, kind: str, obj: dict[str, Any], number: int
) -> None:
    shop.add("CC-1001", "cs_test_1")
    body = event(kind, {**obj, "id": obj.get("id", "cs_test_1")}, event_id=f"evt_{number}")
    response = deliver.send(body)
    assert response.status_code in (200, 400)
