"""Real races on PostgreSQL: two first adds to one member's cart at once (two tabs)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.shop import cart
from cocreate.shop.cart_models import Cart, CartLine, Owner
from tests.accounts.factories import UserFactory
from tests.concurrency import TIMEOUT, Concurrent
from tests.shop.catalog_factories import OnSaleDesignFactory, variant

pytestmark = pytest.mark.postgres_only


def test_two_first_adds_to_one_member_cart_at_once(concurrent: Concurrent) -> None:
    """Neither add fails on the one-cart-per-member or one-line-per-variant rules, and both
    quantities count."""
    with concurrent.setup():
        member_id = UserFactory().id
        variant_id = variant(OnSaleDesignFactory().id, stock=10).id
    start_together = threading.Barrier(2, timeout=TIMEOUT)

    def add(quantity: int) -> int:
        session = concurrent.session()
        with concurrent.request(session):
            owner = Owner(user_id=member_id)
            start_together.wait()
            added = cart.add(
                session, owner, variant_id, quantity, max_quantity=10, now=clock().now()
            )
            db.commit()
            return added.quantity

    outcomes = [concurrent.start(lambda q=q: add(q)) for q in (2, 3)]
    concurrent.join()

    assert [o.error for o in outcomes] == [None, None]
    assert sorted(o.result for o in outcomes) in ([2, 5], [3, 5])
    with concurrent.session() as check:
        assert check.scalars(select(Cart.user_id)).all() == [member_id]
        assert check.execute(select(CartLine.variant_id, CartLine.quantity)).all() == [
            (variant_id, 5)
        ]
