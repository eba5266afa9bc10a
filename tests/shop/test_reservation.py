"""Stock reservation: all or nothing, in id order, released exactly once, expiry instants."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from cocreate.config import settings
from cocreate.core.clock import TestClock
from cocreate.core.outbox import OutboxMessage, OutboxStatus
from cocreate.production.models import Variant
from cocreate.shop import lifecycle, payment_events, reservations
from cocreate.shop.models import Order, OrderLine, OrderState, OrderTransition
from tests.shop.checkout_factories import VariantFactory, place
from tests.shop.fakes import FakeGateway

pytestmark = pytest.mark.usefixtures("request_ctx")
S = OrderState
US = timedelta(microseconds=1)


def _stock(session: Session, *variants: Variant) -> list[int]:
    session.expire_all()
    return [
        session.scalar(select(Variant.stock_on_hand).where(Variant.id == v.id)) for v in variants
    ]


def _moves(session: Session, order: Order) -> list[tuple[Any, ...]]:
    rows = session.scalars(
        select(OrderTransition)
        .where(OrderTransition.order_id == order.id)
        .order_by(OrderTransition.id)
    )
    return [(r.from_state, r.to_state, r.actor_id, r.reason, r.created_at) for r in rows]


@pytest.fixture
def statements(db_session: Session) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements (with parameters) the test's connection runs."""
    seen: list[tuple[str, Any]] = []
    bind = db_session.get_bind()

    def record(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        seen.append((statement, params))

    event.listen(bind, "before_cursor_execute", record)
    yield seen
    event.remove(bind, "before_cursor_execute", record)


def test_placing_takes_the_stock_of_each_line(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    a, b = VariantFactory(stock_on_hand=5), VariantFactory(stock_on_hand=3, size="L")
    order = place(db_session, settings(app), [(a, 2), (b, 3)], now=clock.now())
    assert _stock(db_session, a, b) == [3, 0]  # the last 3 of b: exactly what was left
    assert order.state is S.PENDING_PAYMENT
    assert order.stock_released is False
    assert order.expires_at == clock.now() + timedelta(minutes=30)


def test_one_item_short_reserves_nothing_and_names_it(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    a = VariantFactory(stock_on_hand=5, design__title="Midnight Tide")
    b = VariantFactory(stock_on_hand=1, size="L", design__title="Paper Moon")
    with pytest.raises(reservations.SoldOut) as refused:
        place(db_session, settings(app), [(a, 2), (b, 2)], now=clock.now())
    assert str(refused.value) == "Sorry, only 1 of “Paper Moon”, T-shirt, black, L is left."
    assert (refused.value.variant_id, refused.value.available) == (b.id, 1)
    # a was taken first (lower id), then given back with the rest: all or nothing.
    assert _stock(db_session, a, b) == [5, 1]
    assert db_session.scalars(select(Order)).all() == []


def test_no_stock_at_all_says_sold_out(app: Flask, db_session: Session, clock: TestClock) -> None:
    a = VariantFactory(stock_on_hand=0, design__title="Midnight Tide")
    with pytest.raises(reservations.SoldOut) as refused:
        reservations.reserve(db_session, {a.id: 1})
    assert str(refused.value) == "Sorry, “Midnight Tide”, T-shirt, black, M is sold out."
    assert refused.value.available == 0


def test_two_units_short_uses_the_plural(db_session: Session) -> None:
    a = VariantFactory(stock_on_hand=2, design__title="Midnight Tide")
    with pytest.raises(reservations.SoldOut) as refused:
        reservations.reserve(db_session, {a.id: 3})
    assert str(refused.value) == "Sorry, only 2 of “Midnight Tide”, T-shirt, black, M are left."
    assert _stock(db_session, a) == [2]


def test_a_variant_that_does_not_exist_is_refused(db_session: Session) -> None:
    a = VariantFactory(stock_on_hand=4)
    with pytest.raises(reservations.SoldOut) as refused:
        reservations.reserve(db_session, {a.id: 1, a.id + 1000: 1})
    assert str(refused.value) == (
        "An item in your cart is no longer sold: please remove it from your cart."
    )
    assert (refused.value.variant_id, refused.value.available) == (a.id + 1000, 0)
    assert _stock(db_session, a) == [4]


def test_the_first_short_item_by_id_is_named(db_session: Session) -> None:
    a = VariantFactory(stock_on_hand=0, design__title="First")
    b = VariantFactory(stock_on_hand=0, design__title="Second", size="L")
    with pytest.raises(reservations.SoldOut) as refused:
        reservations.reserve(db_session, {b.id: 1, a.id: 1})
    assert refused.value.variant_id == a.id


def test_variants_are_locked_and_taken_in_id_order(
    db_session: Session, statements: list[tuple[str, Any]]
) -> None:
    a, b = VariantFactory(stock_on_hand=5), VariantFactory(stock_on_hand=5, size="L")
    statements.clear()
    reservations.reserve(db_session, {b.id: 1, a.id: 2})  # the cart lists b first
    updates = [params for sql, params in statements if sql.startswith("UPDATE variants")]
    # SQLite's parameters are positional (quantity, id, quantity), psycopg's named.
    ids = [p["id_1"] if isinstance(p, dict) else p[1] for p in updates]
    assert ids == [a.id, b.id]
    assert _stock(db_session, a, b) == [3, 4]


def test_the_lock_statement_reads_by_id_for_update_of_the_variants() -> None:
    sql = str(reservations.lock_statement([7, 3, 7]).compile(dialect=postgresql.dialect()))
    assert sql.endswith("ORDER BY variants.id FOR UPDATE OF variants")
    assert "JOIN designs ON designs.id = variants.design_id" in sql
    params = reservations.lock_statement([7, 3, 7]).compile().params
    assert list(params.values()) == [[3, 7]]


def test_reserving_reads_the_locked_stock_again(db_session: Session) -> None:
    a = VariantFactory(stock_on_hand=9)
    # Another buyer took some: the session's copy still says 9, the locked row 5.
    table = Variant.__table__
    db_session.execute(update(table).where(table.c.id == a.id).values(stock_on_hand=5))
    with pytest.raises(reservations.SoldOut) as refused:
        reservations.reserve(db_session, {a.id: 6})
    assert refused.value.available == 5


def test_release_gives_the_stock_back_once(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    a, b = VariantFactory(stock_on_hand=5), VariantFactory(stock_on_hand=4, size="L")
    order = place(db_session, settings(app), [(a, 2), (b, 1), (a, 1)], now=clock.now())
    assert _stock(db_session, a, b) == [2, 3]
    assert reservations.release(db_session, order) is True
    assert order.stock_released is True
    assert _stock(db_session, a, b) == [5, 4]
    assert reservations.release(db_session, order) is False
    assert _stock(db_session, a, b) == [5, 4]


def test_quantities_add_up_lines_of_one_variant() -> None:
    lines = [
        OrderLine(variant_id=3, quantity=2),
        OrderLine(variant_id=1, quantity=1),
        OrderLine(variant_id=3, quantity=4),
    ]
    assert reservations.quantities(lines) == {3: 6, 1: 1}


def test_reserving_again_takes_the_stock_and_clears_the_flag(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    a = VariantFactory(stock_on_hand=5)
    order = place(db_session, settings(app), [(a, 2)], now=clock.now())
    reservations.release(db_session, order)
    reservations.reserve_again(db_session, order)
    assert order.stock_released is False
    assert _stock(db_session, a) == [3]


def test_reserving_again_without_stock_leaves_everything(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    a = VariantFactory(stock_on_hand=2)
    order = place(db_session, settings(app), [(a, 2)], now=clock.now())
    reservations.release(db_session, order)
    place(db_session, settings(app), [(a, 1)], now=clock.now())
    with pytest.raises(reservations.SoldOut):
        reservations.reserve_again(db_session, order)
    assert order.stock_released is True
    assert _stock(db_session, a) == [1]


def test_a_checkout_expires_at_its_instant_exactly(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    order = place(db_session, settings(app), [(VariantFactory(), 1)], now=clock.now())
    end = clock.now() + timedelta(minutes=30)
    assert reservations.is_expired(order, end - US) is False
    assert reservations.is_expired(order, end) is True
    order.state = S.PAID
    assert reservations.is_expired(order, end + timedelta(days=1)) is False


def test_expires_at_adds_the_minutes(clock: TestClock) -> None:
    assert reservations.expires_at(clock.now(), 45) == clock.now() + timedelta(minutes=45)


def test_expired_orders_are_listed_oldest_first(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    v = VariantFactory(stock_on_hand=10)
    # The first placed expires last: the list still goes by id, not by expiry.
    first = place(db_session, settings(app), [(v, 1)], now=clock.now() + timedelta(minutes=1))
    second = place(db_session, settings(app), [(v, 1)], now=clock.now())
    paid = place(db_session, settings(app), [(v, 1)], now=clock.now())
    paid.state = S.PAID
    db_session.flush()
    end = clock.now() + timedelta(minutes=30)
    assert reservations.expired_order_ids(db_session, end - US) == []
    assert reservations.expired_order_ids(db_session, end) == [second.id]
    assert reservations.expired_order_ids(db_session, end + timedelta(minutes=1)) == [
        first.id,
        second.id,
    ]


def test_expire_one_cancels_releases_and_records_why(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    v = VariantFactory(stock_on_hand=3)
    order = place(db_session, settings(app), [(v, 2)], now=clock.now())
    end = clock.now() + timedelta(minutes=30)
    assert reservations.expire_one(db_session, order.id, now=end - US) is False
    assert order.state is S.PENDING_PAYMENT
    assert _stock(db_session, v) == [1]
    assert reservations.expire_one(db_session, order.id, now=end) is True
    assert order.state is S.CANCELLED
    assert _stock(db_session, v) == [3]
    assert _moves(db_session, order) == [
        (S.PENDING_PAYMENT, S.CANCELLED, None, "checkout expired", end)
    ]
    # A second run finds it cancelled: nothing more is given back.
    assert reservations.expire_one(db_session, order.id, now=end) is False
    assert _stock(db_session, v) == [3]
    assert reservations.expire_one(db_session, order.id + 1, now=end) is False


def test_expire_one_leaves_an_order_paid_meanwhile(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    v = VariantFactory(stock_on_hand=3)
    order = place(db_session, settings(app), [(v, 2)], now=clock.now())
    lifecycle.mark_paid(db_session, order, at=clock.now())
    assert reservations.expire_one(db_session, order.id, now=order.expires_at) is False
    assert order.state is S.PAID
    assert _stock(db_session, v) == [1]


def test_expire_one_reads_the_order_again_under_its_lock(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    v = VariantFactory(stock_on_hand=3)
    order = place(db_session, settings(app), [(v, 2)], now=clock.now())
    # Paid by another transaction: this session's copy still says pending.
    table = Order.__table__
    db_session.execute(update(table).where(table.c.id == order.id).values(state="paid"))
    assert reservations.expire_one(db_session, order.id, now=order.expires_at) is False
    assert order.state is S.PAID
    assert _stock(db_session, v) == [1]


def test_the_expiry_lock_skips_a_row_someone_holds() -> None:
    statement = reservations.expiry_lock_statement(42)
    sql = str(statement.compile(dialect=postgresql.dialect()))
    assert sql.endswith("FOR UPDATE SKIP LOCKED")
    assert list(statement.compile().params.values()) == [42]


def test_cancel_and_release_only_moves_a_pending_order(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    v = VariantFactory(stock_on_hand=3)
    order = place(db_session, settings(app), [(v, 1)], now=clock.now())
    order.state = S.FULFILLED
    db_session.flush()
    assert reservations.cancel_and_release(db_session, order, at=clock.now(), reason="x") is False
    assert order.stock_released is False
    assert _stock(db_session, v) == [2]


def test_payment_failure_releases_through_the_same_guard(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    v = VariantFactory(stock_on_hand=3)
    order = place(db_session, settings(app), [(v, 2)], now=clock.now())
    payment_events.payment_failed(db_session, order, at=clock.now())
    payment_events.checkout_expired(db_session, order, at=clock.now())
    assert _stock(db_session, v) == [3]
    assert _moves(db_session, order) == [
        (S.PENDING_PAYMENT, S.CANCELLED, None, "payment failed", clock.now())
    ]


def test_release_expired_command(app: Flask, db_session: Session, clock: TestClock) -> None:
    v = VariantFactory(stock_on_hand=6)
    old = place(db_session, settings(app), [(v, 2)], now=clock.now() - timedelta(minutes=30))
    older = place(db_session, settings(app), [(v, 1)], now=clock.now() - timedelta(hours=2))
    fresh = place(db_session, settings(app), [(v, 3)], now=clock.now() - timedelta(minutes=29))
    db_session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["shop", "release-expired"])
    assert result.exit_code == 0, result.output
    assert result.output == "Released 2 expired checkout(s).\n"
    db_session.expire_all()
    assert [db_session.get_one(Order, o.id).state for o in (old, older, fresh)] == [
        S.CANCELLED,
        S.CANCELLED,
        S.PENDING_PAYMENT,
    ]
    assert _stock(db_session, v) == [3]
    again = runner.invoke(args=["shop", "release-expired"])
    assert again.output == "Released 0 expired checkout(s).\n"
    assert _stock(db_session, v) == [3]


def test_expiring_an_order_asks_the_gateway_to_close_its_checkout(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    v = VariantFactory(stock_on_hand=3)
    paying = place(db_session, settings(app), [(v, 1)], now=clock.now())
    paying.checkout_reference = "cs_test_a1"
    unstarted = place(db_session, settings(app), [(v, 1)], now=clock.now())  # gateway failed
    end = clock.now() + timedelta(minutes=30)
    assert reservations.expire_one(db_session, paying.id, now=end) is True
    assert reservations.expire_one(db_session, unstarted.id, now=end) is True
    rows = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.kind, m.payload, m.next_attempt_at) for m in rows] == [
        ("shop.cancel_checkout", {"order_id": paying.id, "reference": "cs_test_a1"}, end)
    ]
    # Expired already: a second run asks nothing more.
    assert reservations.expire_one(db_session, paying.id, now=end) is False
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_release_expired_closes_the_checkouts_at_the_gateway(
    app: Flask, db_session: Session, clock: TestClock, fake_gateway: FakeGateway
) -> None:
    v = VariantFactory(stock_on_hand=6)
    old = place(db_session, settings(app), [(v, 2)], now=clock.now() - timedelta(minutes=31))
    old.checkout_reference = "cs_test_old"
    fresh = place(db_session, settings(app), [(v, 1)], now=clock.now())
    fresh.checkout_reference = "cs_test_fresh"
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["shop", "release-expired"])
    assert result.output == "Released 1 expired checkout(s).\n"
    # Delivered once the release committed (at once under ENV=testing).
    assert fake_gateway.cancelled == ["cs_test_old"]
    db_session.expire_all()
    (message,) = db_session.scalars(select(OutboxMessage)).all()
    assert (message.kind, message.status) == ("shop.cancel_checkout", OutboxStatus.SENT)


def test_a_gateway_that_fails_to_close_a_checkout_is_asked_again(
    app: Flask, db_session: Session, clock: TestClock, fake_gateway: FakeGateway
) -> None:
    v = VariantFactory(stock_on_hand=6)
    old = place(db_session, settings(app), [(v, 2)], now=clock.now() - timedelta(minutes=31))
    old.checkout_reference = "cs_test_old"
    db_session.commit()

    def unreachable(reference: str) -> None:
        raise ConnectionError("gateway down")

    fake_gateway.cancel_checkout = unreachable  # type: ignore[method-assign]
    app.test_cli_runner().invoke(args=["shop", "release-expired"])
    db_session.expire_all()
    (message,) = db_session.scalars(select(OutboxMessage)).all()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    # The order stays cancelled and its stock back on sale meanwhile.
    assert db_session.get_one(Order, old.id).state is S.CANCELLED
    assert _stock(db_session, v) == [6]
