"""`verify` and the `flask royalties` commands: a sound ledger passes, each tampering is named;
on PostgreSQL the database itself refuses an unbalanced, changed or deleted ledger row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from cocreate.config import settings
from cocreate.core.money import Money
from cocreate.royalties import ledger, periods, verify
from cocreate.royalties.ledger import Leg
from cocreate.royalties.models import (
    Account,
    AccrualPiece,
    Kind,
    LedgerTransaction,
    Statement,
)
from tests.accounts.factories import StaffFactory
from tests.royalties.conftest import Shop, insert_unbalanced, only_accrual, payout_sent

pytestmark = pytest.mark.usefixtures("request_ctx")

APRIL = datetime(2026, 4, 1, tzinfo=UTC)


def _problems(session: Session, app: Flask, *, full: bool = False) -> list[str]:
    return verify.verify(session, settings=settings(app), full=full)


def test_a_sound_ledger_passes(history: int, db_session: Session, app: Flask) -> None:
    assert _problems(db_session, app) == []
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["royalties", "verify"])
    assert (result.exit_code, result.output) == (0, "ledger OK\n")


def test_an_unbalanced_transaction_is_named(
    history: int, db_session: Session, app: Flask, shop: Shop
) -> None:
    if db_session.get_bind().dialect.name == "postgresql":
        pytest.skip("PostgreSQL refuses it: see the next test")
    tid = insert_unbalanced(db_session, history)
    assert _problems(db_session, app) == [
        f"transaction {tid} (adjustment): its legs sum to 1, not 0"
    ]
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["royalties", "verify"])
    assert result.exit_code == 1
    assert result.output == f"transaction {tid} (adjustment): its legs sum to 1, not 0\n"


def test_postgresql_refuses_unbalanced_changed_or_deleted_ledger_rows(
    history: int, db_session: Session
) -> None:
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's triggers")
    statements = [
        "UPDATE ledger_entries SET amount_amount = amount_amount + 1",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_transactions SET memo = 'x'",
        "DELETE FROM accrual_pieces",
    ]
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
            db_session.execute(text(statement))
    with pytest.raises(DBAPIError, match="does not balance"), db_session.begin_nested():
        db_session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
        insert_unbalanced(db_session, history)


def test_a_statement_that_disagrees_with_the_ledger_is_named(
    history: int, db_session: Session, app: Flask
) -> None:
    # March: 6.25 accrued, 2.08 reversed; April: 4.17 cleared, 2.00 paid out. Statements are
    # not ledger rows: they can be changed, and verify notices.
    db_session.execute(text("UPDATE royalty_statements SET closing_cleared = closing_cleared + 5"))
    db_session.expire_all()
    assert _problems(db_session, app) == [
        f"creator {history}, 2026-03: the ledger differs from the statement by pending 0, "
        "cleared -5"
    ]
    periods.close_period(db_session, "2026-04", actor_id=None, now=datetime(2026, 5, 1, tzinfo=UTC))
    db_session.execute(
        text("UPDATE royalty_statements SET opening_pending = 7 WHERE period = '2026-04'")
    )
    db_session.expire_all()
    assert _problems(db_session, app)[1:] == [
        f"creator {history}, 2026-04: the ledger differs from the statement by pending -410, "
        "cleared 0",
        f"creator {history}, 2026-04: opens at pending 7, cleared 5; the month before "
        "closed at pending 417, cleared 5",
    ]
    statement = db_session.scalars(select(Statement).where(Statement.period == "2026-04")).one()
    assert statement.closing_cleared == 222


def test_payouts_beyond_cleared_and_clearings_beyond_pending_are_named(
    history: int, db_session: Session, app: Flask, shop: Shop
) -> None:
    accrual = only_accrual(db_session)
    payout_sent(db_session, history, 300, at=shop.clock.now())
    ledger.post(
        db_session,
        kind=Kind.REVERSAL,
        creator_id=history,
        currency="EUR",
        legs=[Leg(Account.CREATOR_PENDING, -5), Leg(Account.ROYALTY_EXPENSE, 5)],
        at=shop.clock.now(),
        related_id=accrual.id,
        order_line_id=accrual.order_line_id,
        units=1,
        pieces=[
            AccrualPiece(
                tier=1,
                first_unit=1,
                units=1,
                rate=Decimal("0.1"),
                net_base=Money(50, "EUR"),
                amount=Money(4, "EUR"),
            )
        ],
    )
    line = accrual.order_line_id
    tid = accrual.id + 100
    got = _problems(db_session, app)
    reversal = db_session.scalars(
        select(LedgerTransaction.id).order_by(LedgerTransaction.id.desc())
    ).first()
    assert got == [
        f"transaction {reversal} (reversal): its pieces sum to 4, its leg to 5",
        f"order {_order_number(db_session, line)}, line {line}: 2 units reversed, 1 refunded",
        f"accrual {accrual.id}: cleared or reversed 5 more than it had pending",
        f"creator {history}: paid out 500, more than the 417 cleared",
    ]
    assert tid


def _order_number(session: Session, line_id: int | None) -> str:
    return str(
        session.execute(
            text(
                "SELECT o.number FROM orders o JOIN order_lines l ON l.order_id = o.id"
                " WHERE l.id = :l"
            ),
            {"l": line_id},
        ).scalar_one()
    )


def test_a_paid_line_without_its_accrual_is_named(
    shop: Shop, db_session: Session, app: Flask
) -> None:
    if db_session.get_bind().dialect.name == "postgresql":
        pytest.skip("PostgreSQL refuses the deletion")
    order = shop.sell((shop.variant(shop.design()), 1))
    tid = only_accrual(db_session).id
    for table, column in (
        ("accrual_pieces", "transaction_id"),
        ("ledger_entries", "transaction_id"),
        ("ledger_transactions", "id"),
    ):
        db_session.execute(text(f"DELETE FROM {table} WHERE {column} = :t"), {"t": tid})  # noqa: S608
    (line,) = order.lines
    assert _problems(db_session, app) == [
        f"order {order.number}, line {line.id}: 0 accruals, not 1"
    ]


def test_the_cli_closes_a_month_and_clears(shop: Shop, db_session: Session, app: Flask) -> None:
    order = shop.sell((shop.variant(shop.design()), 3))
    shop.ship(order)
    db_session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["royalties", "close-period", "2026-03"])
    assert (result.exit_code, result.output) == (1, "Error: 2026-03 has not ended yet.\n")
    shop.clock.advance(timedelta(days=30))
    assert runner.invoke(args=["royalties", "clear-earnings"]).output == "Cleared 1 accrual(s).\n"
    assert runner.invoke(args=["royalties", "close-period", "2026-03"]).output == (
        "Closed 2026-03: 1 statement(s).\n"
    )
    assert runner.invoke(args=["royalties", "close-period", "2026-03"]).output == (
        "2026-03 was already closed; nothing changed.\n"
    )


def test_reversals_that_do_not_give_back_their_accrual_are_named(
    shop: Shop, db_session: Session, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reversal rule that loses 1.00 on the last unit: the pieces, legs and units all agree,
    only the amounts taken back differ from the accrual's (3 tees: 6.25 accrued, 5.25 back)."""
    from cocreate.royalties import accruals

    exact = accruals._cumulative

    def short(total: Money, units: int, done: int) -> Money:
        value = exact(total, units, done)
        return value - Money(100, total.currency) if done == units and total.amount > 100 else value

    monkeypatch.setattr(accruals, "_cumulative", short)
    order = shop.sell((shop.variant(shop.design()), 3))
    (line,) = order.lines
    shop.refund(order, {line.id: 1})
    shop.refund(order)
    (piece,) = only_accrual(db_session).pieces
    assert _problems(db_session, app, full=True) == [
        f"accrual piece {piece.id} (3 units, 625): its reversals take back 3 units and 525"
    ]


def test_a_partial_reversal_off_by_a_cent_is_named(
    shop: Shop, db_session: Session, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1 of 3 units reversed: 6.25 / 3 = 2.0833 → 2.08. Taking 2.10 is named; 2.08 is not."""
    from cocreate.royalties import accruals

    exact = accruals._cumulative

    def greedy(total: Money, units: int, done: int) -> Money:
        value = exact(total, units, done)
        return value + Money(2, total.currency) if 0 < done < units else value

    order = shop.sell((shop.variant(shop.design()), 3))
    (line,) = order.lines
    monkeypatch.setattr(accruals, "_cumulative", greedy)
    shop.refund(order, {line.id: 1})
    (piece,) = only_accrual(db_session).pieces
    assert _problems(db_session, app, full=True) == [
        f"accrual piece {piece.id} (3 units, 625): its reversals take back 1 units and 210"
    ]


@pytest.mark.parametrize(
    ("creator_shift", "period"), [(0, "2026-03"), (1, "2026-04"), (0, "2026-04")]
)
def test_a_leg_naming_another_creator_or_month_than_its_transaction_is_refused(
    history: int, db_session: Session, creator_shift: int, period: str
) -> None:
    """Statements read each leg's creator and month, `verify` its transaction's: the database
    keeps them equal (the composite foreign key), so the two cannot disagree."""
    other = StaffFactory().id if creator_shift else history
    tid = db_session.execute(
        text(
            "INSERT INTO ledger_transactions (kind, creator_id, period, occurred_at, currency,"
            " memo) VALUES ('adjustment', :c, '2026-04', '2026-04-02 00:00:00', 'EUR', '')"
            " RETURNING id"
        ),
        {"c": history},
    ).scalar_one()
    insert = text(
        "INSERT INTO ledger_entries (transaction_id, account, creator_id, period, amount_amount,"
        " amount_currency) VALUES (:t, 'creator_cleared', :c, :p, 100, 'EUR')"
    )
    if (other, period) == (history, "2026-04"):
        db_session.execute(insert, {"t": tid, "c": other, "p": period})  # its own: accepted
        return
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(insert, {"t": tid, "c": other, "p": period})
