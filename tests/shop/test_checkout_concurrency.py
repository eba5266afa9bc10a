"""Real races on PostgreSQL: ten buyers for the last three units, two carts locking the same
variants in opposite orders, `release-expired` run twice at once, and a payment racing the
expiry."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask.cli import ScriptInfo
from sqlalchemy import Connection, event, func, select

from cocreate.config import settings
from cocreate.core import db
from cocreate.core.db import now_utc
from cocreate.core.money import Money
from cocreate.production.models import Variant
from cocreate.shop import payment_events, reservations
from cocreate.shop.cli import release_expired
from cocreate.shop.models import Order, OrderState, OrderTransition
from tests.concurrency import TIMEOUT, Concurrent
from tests.shop.checkout_factories import VariantFactory, place

pytestmark = pytest.mark.postgres_only
S = OrderState


def _buy(concurrent: Concurrent, variant_ids: list[int], quantity: int = 1) -> str:
    """One buyer placing an order in their own transaction: "placed" or the message shown."""
    session = concurrent.session()
    with concurrent.request(session):
        variants = [session.get_one(Variant, v) for v in variant_ids]
        try:
            place(
                session,
                settings(concurrent.app),
                [(v, quantity) for v in variants],
                now=now_utc(),
            )
        except reservations.SoldOut as refused:
            db.rollback()
            return str(refused)
        db.commit()
        return "placed"


def test_ten_buyers_for_the_last_three_units(concurrent: Concurrent) -> None:
    with concurrent.setup():
        variant_id = VariantFactory(stock_on_hand=3, design__title="Last Ones").id
    start = threading.Barrier(10, timeout=TIMEOUT)

    def buyer() -> str:
        start.wait()
        return _buy(concurrent, [variant_id])

    outcomes = [concurrent.start(buyer) for _ in range(10)]
    concurrent.join()

    assert [o.error for o in outcomes] == [None] * 10
    results = sorted(o.result for o in outcomes)
    assert results.count("placed") == 3
    assert [r for r in results if r != "placed"] == [
        "Sorry, “Last Ones”, T-shirt, black, M is sold out."
    ] * 7
    with concurrent.session() as check:
        assert check.scalar(select(Variant.stock_on_hand)) == 0
        assert check.scalar(select(func.count()).select_from(Order)) == 3


def test_two_carts_with_the_same_variants_in_opposite_orders_do_not_deadlock(
    concurrent: Concurrent,
) -> None:
    """The first buyer (cart: b, a) is paused right after its first locking statement; the
    second (cart: a, b) then starts. Locking in cart order, the first would hold b while the
    second held a, and each would wait for the other. Locking by id, the first holds both and
    the second waits for a, then goes through."""
    with concurrent.setup():
        a = VariantFactory(stock_on_hand=5).id
        b = VariantFactory(stock_on_hand=5, size="L").id
    assert a < b
    first_locked = threading.Event()
    first_may_go_on = threading.Event()

    def pause_after_first_lock(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        locking = "FOR UPDATE" in statement or statement.startswith("UPDATE variants")
        if locking and not first_locked.is_set():
            first_locked.set()
            assert first_may_go_on.wait(TIMEOUT)

    def first_buyer() -> str:
        session = concurrent.session()
        with concurrent.request(session):
            event.listen(session.connection(), "after_cursor_execute", pause_after_first_lock)
            variants = [session.get_one(Variant, v) for v in (b, a)]
            place(session, settings(concurrent.app), [(v, 1) for v in variants], now=now_utc())
            db.commit()
            return "placed"

    first = concurrent.start(first_buyer)
    assert first_locked.wait(TIMEOUT)
    second = concurrent.start(lambda: _buy(concurrent, [a, b]))
    concurrent.wait_until_blocked(1)  # the second waits for a lock the first holds
    first_may_go_on.set()
    concurrent.join()

    assert (first.error, second.error) == (None, None)
    assert (first.result, second.result) == ("placed", "placed")
    with concurrent.session() as check:
        stock = check.execute(select(Variant.id, Variant.stock_on_hand).order_by(Variant.id)).all()
        assert [tuple(row) for row in stock] == [(a, 3), (b, 3)]


def _expired_orders(concurrent: Concurrent, count: int) -> tuple[int, list[int]]:
    with concurrent.setup() as session:
        variant = VariantFactory(stock_on_hand=count * 2)
        long_ago = now_utc() - timedelta(hours=1)
        ids = [
            place(session, settings(concurrent.app), [(variant, 2)], now=long_ago).id
            for _ in range(count)
        ]
        variant_id = variant.id
    return variant_id, ids


def _run_release_expired(concurrent: Concurrent) -> Any:
    return release_expired.main(
        args=[], standalone_mode=False, obj=ScriptInfo(create_app=lambda: concurrent.app)
    )


def _assert_released_once(
    concurrent: Concurrent, variant_id: int, ids: list[int], stock: int
) -> None:
    with concurrent.session() as check:
        assert check.get_one(Variant, variant_id).stock_on_hand == stock
        states = check.scalars(select(Order.state).where(Order.id.in_(ids))).all()
        assert set(states) == {S.CANCELLED}
        moves = check.execute(
            select(OrderTransition.order_id, func.count()).group_by(OrderTransition.order_id)
        ).all()
        assert sorted(tuple(m) for m in moves) == [(order_id, 1) for order_id in sorted(ids)]


def test_release_expired_run_twice_at_once_releases_each_order_once(
    concurrent: Concurrent,
) -> None:
    variant_id, ids = _expired_orders(concurrent, 20)
    start = threading.Barrier(2, timeout=TIMEOUT)

    def run() -> Any:
        start.wait()
        return _run_release_expired(concurrent)

    runs = [concurrent.start(run), concurrent.start(run)]
    concurrent.join()

    assert [r.error for r in runs] == [None, None]
    _assert_released_once(concurrent, variant_id, ids, stock=40)


def test_a_run_skips_an_order_another_transaction_holds(concurrent: Concurrent) -> None:
    variant_id, ids = _expired_orders(concurrent, 2)
    held, other = ids
    holder = concurrent.session()
    holder.execute(select(Order.id).where(Order.id == held).with_for_update())

    runner = concurrent.app.test_cli_runner()
    outcome = concurrent.start(lambda: runner.invoke(args=["shop", "release-expired"]))
    assert outcome.thread is not None
    outcome.thread.join(TIMEOUT)
    assert not outcome.thread.is_alive(), "the run waited for the held order"
    assert outcome.result.output == "Released 1 expired checkout(s).\n"
    with concurrent.session() as check:
        assert check.get_one(Order, held).state is S.PENDING_PAYMENT
        assert check.get_one(Order, other).state is S.CANCELLED
        assert check.get_one(Variant, variant_id).stock_on_hand == 2
    holder.rollback()
    holder.close()

    assert runner.invoke(args=["shop", "release-expired"]).output == (
        "Released 1 expired checkout(s).\n"
    )
    _assert_released_once(concurrent, variant_id, ids, stock=4)


def test_a_payment_racing_the_expiry_waits_and_reserves_again(concurrent: Concurrent) -> None:
    variant_id, (order_id,) = _expired_orders(concurrent, 1)
    expired = threading.Event()
    may_commit = threading.Event()

    def expiry() -> bool:
        session = concurrent.session()
        with concurrent.request(session):
            released = reservations.expire_one(session, order_id, now=now_utc())
            expired.set()
            assert may_commit.wait(TIMEOUT)
            db.commit()
            return released

    def payment() -> str:
        session = concurrent.session()
        with concurrent.request(session):
            order = session.get_one(Order, order_id)
            payment_events.payment_succeeded(
                session,
                order,
                payment_reference="pi_race",
                amount=Money(5490, "EUR"),
                at=now_utc(),
            )
            db.commit()
            return order.state.value

    first = concurrent.start(expiry)
    assert expired.wait(TIMEOUT)
    second = concurrent.start(payment)
    concurrent.wait_until_blocked(1)  # the payment waits for the order's row lock
    may_commit.set()
    concurrent.join()

    assert (first.error, second.error) == (None, None)
    assert (first.result, second.result) == (True, "paid")
    with concurrent.session() as check:
        assert check.get_one(Variant, variant_id).stock_on_hand == 0  # 2 back, 2 taken again
        moves = check.execute(
            select(OrderTransition.from_state, OrderTransition.to_state).order_by(
                OrderTransition.id
            )
        ).all()
        assert [tuple(m) for m in moves] == [
            (S.PENDING_PAYMENT, S.CANCELLED),
            (S.CANCELLED, S.PAID),
        ]
