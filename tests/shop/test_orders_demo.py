"""The demo's orders: priced by the checkout rules, in every settled state, dated in the past."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.config import settings
from cocreate.core.db import now_utc
from cocreate.core.money import Money
from cocreate.demo.shop import seed_shop
from cocreate.designs.models import DesignState
from cocreate.shop.models import OrderState, OrderTransition, RefundState
from tests.accounts.factories import StaffFactory, UserFactory
from tests.designs.factories import DesignFactory
from tests.shop.checkout_factories import VariantFactory

S = OrderState


@pytest.mark.usefixtures("request_ctx")
def test_demo_orders(app: Flask, db_session: Session) -> None:
    on_sale = DesignFactory(state=DesignState.ON_SALE)
    retired = DesignFactory(state=DesignState.RETIRED)
    month_ago = now_utc() - timedelta(days=120)
    tees = [VariantFactory(design=on_sale, size=s, created_at=month_ago) for s in ("S", "M", "L")]
    VariantFactory(design=retired, created_at=month_ago)
    customers = [UserFactory(), UserFactory(locale="fr")]
    orders = seed_shop(
        db_session, random.Random(3), customers, StaffFactory(), settings(app), count=300
    )

    assert len(orders) == 300
    assert {o.state for o in orders} == {
        S.PAID,
        S.FULFILLED,
        S.CANCELLED,
        S.REFUNDED,
        S.PARTIALLY_REFUNDED,
    }
    assert sum(o.state is not S.CANCELLED for o in orders) >= 250
    assert len({o.number for o in orders}) == 300
    assert orders[0].user_id == customers[0].id
    assert {line.variant_id for o in orders for line in o.lines} <= {t.id for t in tees}
    for order in orders:
        lines = order.lines
        assert all(line.net + line.tax == line.gross for line in lines)
        assert Money.sum((line.gross for line in lines), "EUR") == order.subtotal
        assert order.subtotal + order.shipping == order.total
        assert month_ago <= order.created_at < now_utc()
        moves = db_session.scalars(
            select(OrderTransition)
            .where(OrderTransition.order_id == order.id)
            .order_by(OrderTransition.id)
        ).all()
        path = [S.PENDING_PAYMENT] + [m.to_state for m in moves]
        assert path[-1] is order.state
        assert [m.from_state for m in moves] == path[:-1]
        times = [order.created_at] + [m.created_at for m in moves]
        assert times == sorted(times)
        if order.state is S.REFUNDED:
            (refund,) = order.refunds
            assert (refund.state, refund.amount) == (RefundState.DONE, order.total)
