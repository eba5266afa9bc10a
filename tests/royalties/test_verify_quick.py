"""`verify`'s quick check (fingerprints.py): a sound ledger passes under any seed; each kind of
inconsistency it covers trips its fingerprint, and `verify` then names the rows with its exact
checks; what only `--full` looks at (each transaction's pieces and shape, each accrual's pending
earnings) is found there."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from cocreate.config import settings
from cocreate.core.money import Money
from cocreate.royalties import fingerprints, ledger, verify
from cocreate.royalties.ledger import Leg
from cocreate.royalties.models import Account, AccrualPiece, Kind, LedgerTransaction
from tests.royalties.conftest import Shop, insert_unbalanced, only_accrual, payout_sent

pytestmark = pytest.mark.usefixtures("request_ctx")


def _screen(session: Session, seed: int = 20261203) -> list[str]:
    return fingerprints.screen(session, seed=seed)


@pytest.mark.parametrize("seed", [1, 2, 977, 2**61 + 12345])
def test_a_sound_ledger_passes_under_any_seed(history: int, db_session: Session, seed: int) -> None:
    assert _screen(db_session, seed) == []


def test_a_statement_changed_after_the_close_trips_its_creators_month(
    history: int, db_session: Session
) -> None:
    db_session.execute(text("UPDATE royalty_statements SET closing_cleared = closing_cleared + 5"))
    assert _screen(db_session) == [f"month {history} creator_cleared"]


def test_a_payout_beyond_cleared_earnings_trips_the_payout_check(
    history: int, db_session: Session, shop: Shop
) -> None:
    # 4.17 cleared, 2.00 paid out: 2.17 more is exactly all there is, 2.18 is too much.
    payout_sent(db_session, history, 217, at=shop.clock.now())
    assert _screen(db_session) == []
    payout_sent(db_session, history, 1, at=shop.clock.now())
    assert _screen(db_session) == [f"payout {history}"]


def test_pieces_that_disagree_with_their_leg_are_left_to_the_full_check(
    history: int, db_session: Session, shop: Shop, app: Flask
) -> None:
    reversal = ledger.post(
        db_session,
        kind=Kind.REVERSAL,
        creator_id=history,
        currency="EUR",
        legs=[Leg(Account.CREATOR_CLEARED, -5), Leg(Account.ROYALTY_EXPENSE, 5)],
        at=shop.clock.now(),
        related_id=only_accrual(db_session).id,
        units=1,
        pieces=[_piece(4)],
    )
    assert _screen(db_session) == []
    assert verify.verify(db_session, settings=settings(app), full=True) == [
        f"transaction {reversal.id} (reversal): its pieces sum to 4, its leg to 5"
    ]


def _piece(amount: int) -> AccrualPiece:
    return AccrualPiece(
        tier=1,
        first_unit=1,
        units=1,
        rate=Decimal("0.1"),
        net_base=Money(50, "EUR"),
        amount=Money(amount, "EUR"),
    )


def test_an_unbalanced_transaction_trips_the_balance(history: int, db_session: Session) -> None:
    if db_session.get_bind().dialect.name == "postgresql":
        pytest.skip("PostgreSQL refuses it (test_verify.py)")
    insert_unbalanced(db_session, history)
    assert _screen(db_session) == ["balance"]


def test_a_line_refunded_without_its_reversal_is_found_and_named(
    history: int, db_session: Session, app: Flask
) -> None:
    """The order says everything was refunded: 3 units, of which 1 was reversed."""
    accrual = only_accrual(db_session)
    order_id, number = db_session.execute(
        text(
            "SELECT o.id, o.number FROM orders o JOIN order_lines l ON l.order_id = o.id"
            " WHERE l.id = :l"
        ),
        {"l": accrual.order_line_id},
    ).one()
    db_session.execute(text("UPDATE orders SET state = 'refunded' WHERE id = :o"), {"o": order_id})
    assert _screen(db_session) == ["lines"]
    assert verify.verify(db_session, settings=settings(app)) == [
        f"order {number}, line {accrual.order_line_id}: 1 units reversed, 3 refunded"
    ]


def test_royalties_of_an_order_no_longer_paid_are_found_and_named(
    history: int, db_session: Session, app: Flask
) -> None:
    accrual = only_accrual(db_session)
    reversal = db_session.scalars(
        text("SELECT id FROM ledger_transactions WHERE kind = 'reversal'")
    ).one()
    number = db_session.execute(
        text(
            "UPDATE orders SET state = 'cancelled' WHERE id = (SELECT order_id FROM order_lines"
            " WHERE id = :l) RETURNING number"
        ),
        {"l": accrual.order_line_id},
    ).scalar_one()
    assert _screen(db_session) == ["lines"]
    line = accrual.order_line_id
    assert verify.verify(db_session, settings=settings(app)) == [
        f"transaction {accrual.id} (accrual): order {number}, line {line} is not paid",
        f"transaction {reversal} (reversal): order {number}, line {line} is not paid",
    ]


def _sale(shop: Shop, db_session: Session) -> LedgerTransaction:
    """One tee at 25.00 (20.83 net of VAT), shipped: 2.08 pending."""
    order = shop.sell((shop.variant(shop.design()), 1))
    shop.ship(order)
    accrual = only_accrual(db_session)
    assert ledger.balance(db_session, accrual.creator_id, "EUR").pending == Money(208, "EUR")
    return accrual


def test_a_clearing_beyond_pending_is_found_by_the_full_check_alone(
    shop: Shop, db_session: Session, app: Flask
) -> None:
    accrual = _sale(shop, db_session)
    shop.clock.advance(timedelta(days=30))
    ledger.post(
        db_session,
        kind=Kind.CLEARING,
        creator_id=accrual.creator_id,
        currency="EUR",
        legs=[Leg(Account.CREATOR_PENDING, -308), Leg(Account.CREATOR_CLEARED, 308)],
        at=shop.clock.now(),
        related_id=accrual.id,
    )
    expected = f"accrual {accrual.id}: cleared or reversed 100 more than it had pending"
    # SQLite runs the exact checks at once (verify.quick_first).
    quick = verify.quick_first(db_session)
    assert verify.verify(db_session, settings=settings(app)) == ([] if quick else [expected])
    assert verify.verify(db_session, settings=settings(app), full=True) == [expected]
    db_session.commit()
    runner = app.test_cli_runner()
    output = runner.invoke(args=["royalties", "verify"]).output
    assert output == ("ledger OK\n" if quick else expected + "\n")
    result = runner.invoke(args=["royalties", "verify", "--full"])
    assert (result.exit_code, result.output) == (1, expected + "\n")


def test_a_clearing_that_takes_money_out_of_the_creators_accounts_is_named(
    shop: Shop, db_session: Session, app: Flask
) -> None:
    accrual = _sale(shop, db_session)
    clearing = ledger.post(
        db_session,
        kind=Kind.CLEARING,
        creator_id=accrual.creator_id,
        currency="EUR",
        legs=[Leg(Account.CREATOR_PENDING, -208), Leg(Account.ROYALTY_EXPENSE, 208)],
        at=shop.clock.now(),
        related_id=accrual.id,
    )
    assert _screen(db_session) == []
    expected = [
        f"transaction {clearing.id} (clearing) changes the creator's earnings by -208, not 0"
    ]
    assert verify.verify(db_session, settings=settings(app), full=True) == expected
    quick = verify.quick_first(db_session)
    assert verify.verify(db_session, settings=settings(app)) == ([] if quick else expected)


def test_pieces_against_the_direction_of_their_leg_are_named(
    shop: Shop, db_session: Session, app: Flask
) -> None:
    creator = shop.design().designer_id
    wrong = ledger.post(
        db_session,
        kind=Kind.ACCRUAL,
        creator_id=creator,
        currency="EUR",
        legs=[Leg(Account.CREATOR_PENDING, -50), Leg(Account.ROYALTY_EXPENSE, 50)],
        at=shop.clock.now(),
        units=1,
        pieces=[_piece(50)],
    )
    assert _screen(db_session) == []
    assert verify.verify(db_session, settings=settings(app), full=True) == [
        f"transaction {wrong.id} (accrual): its pieces and its leg on the creator's account go "
        "opposite ways (50 and -50)",
        f"accrual {wrong.id}: cleared or reversed 50 more than it had pending",
    ]


def test_a_difference_no_exact_check_names_is_still_reported(
    history: int, db_session: Session, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify, "quick_first", lambda _session: True)
    monkeypatch.setattr(fingerprints, "screen", lambda *_a, **_k: ["balance", "lines"])
    assert verify.verify(db_session, settings=settings(app)) == [
        "the quick check found the ledger inconsistent (balance; lines) but no exact check "
        "names a row: run `flask royalties verify --full` and report it"
    ]
    assert verify.verify(db_session, settings=settings(app), full=True) == []


def test_sqlite_weights_are_keyed_signed_and_24_bits() -> None:
    weights = [fingerprints._sqlite_weight(value, 7) for value in range(2000)]
    assert min(weights) < -(2**22) and max(weights) >= 2**22
    assert all(-(2**23) <= weight < 2**23 for weight in weights)
    assert len(set(weights)) > 1990
    assert fingerprints._sqlite_weight(5, 7) == fingerprints._sqlite_weight("5", 7)
    assert fingerprints._sqlite_weight(5, 7) != fingerprints._sqlite_weight(5, 8)
    assert fingerprints._sqlite_weight(None, 7) is None
