"""Payouts: who is eligible, a batch paying each the whole cleared balance once, and how a
payout ends (paid by staff, by Stripe, or failed with the balance restored)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import Config, settings
from cocreate.core.clock import TestClock
from cocreate.core.lifecycle import InvalidTransition, NotAllowed
from cocreate.core.money import Money
from cocreate.core.outbox import OutboxMessage
from cocreate.royalties import ledger, payouts
from cocreate.royalties.models import (
    Account,
    Kind,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PayoutAccount,
    PayoutMethod,
    PayoutState,
    PayoutTransition,
)
from tests.accounts.factories import UserFactory
from tests.royalties.payout_fixtures import award, cleared, payout_account

pytestmark = pytest.mark.usefixtures("request_ctx")

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S = PayoutState


def _balances(session: Session, user: User) -> dict[Account, int]:
    rows = session.execute(
        select(LedgerEntry.account, func.sum(LedgerEntry.__table__.c.amount_amount))
        .where(LedgerEntry.creator_id == user.id)
        .group_by(LedgerEntry.account)
    ).all()
    return {Account(account): int(total) for account, total in rows if total}


# -- eligible ------------------------------------------------------------------------------------


def test_eligible_at_the_site_minimum_exactly_and_never_on_pending(
    db_session: Session, config: Config
) -> None:
    under, exactly, over = (UserFactory() for _ in range(3))
    cleared(db_session, under, 2499, AT)
    cleared(db_session, exactly, 2500, AT)
    cleared(db_session, over, 1000, AT)
    award(db_session, over, 2000, AT)
    pending_only = UserFactory()
    ledger.post(
        db_session,
        kind=Kind.ACCRUAL,
        creator_id=pending_only.id,
        currency="EUR",
        legs=[
            ledger.Leg(Account.CREATOR_PENDING, 9000),
            ledger.Leg(Account.ROYALTY_EXPENSE, -9000),
        ],
        at=AT,
    )
    found = payouts.eligible(db_session, config)
    assert [(e.creator_id, e.cleared.amount, e.threshold.amount) for e in found] == [
        (exactly.id, 2500, 2500),
        (over.id, 3000, 2500),
    ]


def test_eligible_uses_the_creators_raised_threshold_and_never_below_the_minimum(
    db_session: Session, config: Config
) -> None:
    short, reached, stale = (UserFactory() for _ in range(3))
    payout_account(db_session, short, AT, threshold=5000)
    payout_account(db_session, reached, AT, threshold=5000)
    # Chosen when the minimum was lower: the minimum applies now.
    payout_account(db_session, stale, AT, threshold=1000)
    cleared(db_session, short, 4999, AT)
    cleared(db_session, reached, 5000, AT)
    cleared(db_session, stale, 2000, AT)
    found = payouts.eligible(db_session, config)
    assert [(e.creator_id, e.cleared.amount, e.threshold.amount) for e in found] == [
        (reached.id, 5000, 5000)
    ]


def test_set_threshold_never_below_the_minimum(db_session: Session, config: Config) -> None:
    creator = UserFactory()
    with pytest.raises(payouts.PayoutError):
        payouts.set_threshold(db_session, creator, Money(2499, "EUR"), settings=config, now=AT)
    account = payouts.set_threshold(
        db_session, creator, Money(2500, "EUR"), settings=config, now=AT
    )
    assert account.threshold == Money(2500, "EUR")
    payouts.set_threshold(db_session, creator, Money(10000, "EUR"), settings=config, now=AT)
    assert db_session.get_one(PayoutAccount, creator.id).threshold == Money(10000, "EUR")
    with pytest.raises(payouts.PayoutError):
        payouts.set_threshold(db_session, creator, Money(3000, "USD"), settings=config, now=AT)


# -- a batch -------------------------------------------------------------------------------------


def test_a_batch_pays_the_whole_cleared_balance_once(
    db_session: Session, config: Config, staff: User, clock: TestClock
) -> None:
    manual, stripe_ready = UserFactory(), UserFactory()
    payout_account(db_session, stripe_ready, AT, threshold=2500, ready=True)
    cleared(db_session, manual, 3000, AT)
    cleared(db_session, manual, 1234, AT)
    cleared(db_session, stripe_ready, 2500, AT)
    ledger.post(
        db_session,
        kind=Kind.ACCRUAL,
        creator_id=manual.id,
        currency="EUR",
        legs=[ledger.Leg(Account.CREATOR_PENDING, 700), ledger.Leg(Account.ROYALTY_EXPENSE, -700)],
        at=AT,
    )
    batch = payouts.run_batch(db_session, actor=staff, now=AT, settings=config)
    assert batch.number.startswith("20260302-0900-")
    assert len(batch.number) == 18
    assert [(p.creator_id, p.amount.amount, p.method, p.state) for p in batch.payouts] == [
        (manual.id, 4234, PayoutMethod.MANUAL, S.SENT),
        (stripe_ready.id, 2500, PayoutMethod.STRIPE, S.SENT),
    ]
    assert batch.total("EUR") == Money(6734, "EUR")
    assert {p.batch for p in batch.payouts} == {batch.number}
    assert all(p.created_by_id == staff.id for p in batch.payouts)
    # The pending 7.00 stays; the cleared balance is in transit.
    assert _balances(db_session, manual) == {
        Account.CREATOR_PENDING: 700,
        Account.ROYALTY_EXPENSE: -4934,
        Account.PAYOUTS_IN_TRANSIT: 4234,
    }
    sent = db_session.scalars(
        select(LedgerTransaction).where(LedgerTransaction.payout_id == batch.payouts[0].id)
    ).one()
    assert (sent.kind, sent.actor_id) == (Kind.PAYOUT, staff.id)
    assert [(e.account, e.amount.amount) for e in sent.entries] == [
        (Account.CREATOR_CLEARED, -4234),
        (Account.PAYOUTS_IN_TRANSIT, 4234),
    ]
    # Only the Stripe payout queues a transfer.
    messages = db_session.scalars(select(OutboxMessage)).all()
    assert [(m.kind, m.payload) for m in messages] == [
        ("royalties.transfer", {"payout_id": batch.payouts[1].id})
    ]
    # The manual creator had no payout account: one was made at the site minimum.
    assert db_session.get_one(PayoutAccount, manual.id).threshold == Money(2500, "EUR")
    # Run again: nothing is owed any more.
    assert payouts.run_batch(db_session, actor=staff, now=AT, settings=config).payouts == ()
    assert payouts.eligible(db_session, config) == []


def test_without_stripe_a_connected_creator_is_paid_by_bank_transfer(
    db_session: Session, app: Any, staff: User
) -> None:
    creator = UserFactory()
    payout_account(db_session, creator, AT, threshold=2500, ready=True)
    cleared(db_session, creator, 2500, AT)
    (payout,) = payouts.run_batch(db_session, actor=staff, now=AT, settings=settings(app)).payouts
    assert payout.method is PayoutMethod.MANUAL
    assert db_session.scalars(select(OutboxMessage)).all() == []


def test_only_staff_run_batches(db_session: Session, config: Config) -> None:
    creator = UserFactory()
    cleared(db_session, creator, 5000, AT)
    with pytest.raises(NotAllowed):
        payouts.run_batch(db_session, actor=creator, now=AT, settings=config)
    assert db_session.scalar(select(func.count()).select_from(Payout)) == 0


def test_a_negative_balance_absorbs_later_earnings_before_a_payout(
    db_session: Session, config: Config, staff: User
) -> None:
    creator = UserFactory()
    award(db_session, creator, -1000, AT)  # e.g. a refund after the previous payout
    cleared(db_session, creator, 3400, AT)
    assert payouts.eligible(db_session, config) == []
    cleared(db_session, creator, 100, AT)
    batch = payouts.run_batch(db_session, actor=staff, now=AT, settings=config)
    assert [p.amount.amount for p in batch.payouts] == [2500]


# -- how a payout ends ---------------------------------------------------------------------------


def _one_payout(session: Session, config: Config, staff: User, ready: bool = False) -> Payout:
    creator = UserFactory()
    if ready:
        payout_account(session, creator, AT, threshold=2500, ready=True)
    cleared(session, creator, 4000, AT)
    (payout,) = payouts.run_batch(session, actor=staff, now=AT, settings=config).payouts
    return payout


def _history(session: Session, payout: Payout) -> list[tuple[Any, ...]]:
    rows = session.scalars(
        select(PayoutTransition)
        .where(PayoutTransition.payout_id == payout.id)
        .order_by(PayoutTransition.id)
    )
    return [(r.from_state, r.to_state, r.actor_id, r.reason) for r in rows]


def test_staff_record_a_manual_payment_with_its_reference(
    db_session: Session, config: Config, staff: User
) -> None:
    payout = _one_payout(db_session, config, staff)
    later = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
    for blank in ("", "   "):
        with pytest.raises(payouts.PayoutError):
            payouts.record_manual(db_session, payout, blank, staff, later)
    with pytest.raises(payouts.PayoutError):
        payouts.record_manual(db_session, payout, "x" * 256, staff, later)
    with pytest.raises(NotAllowed):
        payouts.record_manual(db_session, payout, "VIR-1", UserFactory(), later)
    assert payout.state is S.SENT
    payouts.record_manual(db_session, payout, "  VIR-2026-0042 ", staff, later)
    assert (payout.state, payout.reference, payout.settled_at) == (S.PAID, "VIR-2026-0042", later)
    assert _history(db_session, payout) == [(S.SENT, S.PAID, staff.id, "VIR-2026-0042")]
    assert _balances(db_session, db_session.get_one(User, payout.creator_id)) == {
        Account.ROYALTY_EXPENSE: -4000,
        Account.CASH: 4000,
    }
    with pytest.raises(InvalidTransition, match="already paid"):
        payouts.record_manual(db_session, payout, "VIR-again", staff, later)


def test_a_stripe_payout_is_not_recorded_by_hand(
    db_session: Session, config: Config, staff: User
) -> None:
    payout = _one_payout(db_session, config, staff, ready=True)
    with pytest.raises(payouts.PayoutError):
        payouts.record_manual(db_session, payout, "VIR-1", staff, AT)
    assert payout.state is S.SENT


def test_a_transfer_that_succeeded_pays_and_one_that_failed_restores_the_balance(
    db_session: Session, config: Config, staff: User
) -> None:
    paid = _one_payout(db_session, config, staff, ready=True)
    payouts.transfer_succeeded(db_session, paid, "tr_123", AT)
    assert (paid.state, paid.reference, paid.settled_at) == (S.PAID, "tr_123", AT)
    assert _balances(db_session, db_session.get_one(User, paid.creator_id)) == {
        Account.ROYALTY_EXPENSE: -4000,
        Account.CASH: 4000,
    }
    failed = _one_payout(db_session, config, staff, ready=True)
    creator = db_session.get_one(User, failed.creator_id)
    payouts.transfer_failed(db_session, failed, "Your destination account is not ready.", AT)
    assert (failed.state, failed.failure) == (S.FAILED, "Your destination account is not ready.")
    assert _history(db_session, failed) == [
        (S.SENT, S.FAILED, None, "Your destination account is not ready.")
    ]
    assert _balances(db_session, creator) == {
        Account.CREATOR_CLEARED: 4000,
        Account.ROYALTY_EXPENSE: -4000,
    }
    assert ledger.balance(db_session, creator.id, "EUR").cleared == Money(4000, "EUR")
    with pytest.raises(InvalidTransition, match="already failed"):
        payouts.transfer_succeeded(db_session, failed, "tr_late", AT)
    # The next batch pays the restored balance again.
    (again,) = payouts.run_batch(db_session, actor=staff, now=AT, settings=config).payouts
    assert (again.creator_id, again.amount.amount) == (creator.id, 4000)


@pytest.mark.parametrize("start", list(S))
@pytest.mark.parametrize("end", list(S))
def test_the_transition_table(start: PayoutState, end: PayoutState) -> None:
    allowed = {(S.SENT, S.PAID), (S.SENT, S.FAILED)}
    assert payouts.TRANSITIONS.allows(start, end) is ((start, end) in allowed)


def test_labels(app: Any) -> None:
    assert [payouts.state_label(s) for s in S] == ["sent", "paid", "failed"]
    assert [payouts.method_label(m) for m in PayoutMethod] == [
        "Stripe transfer",
        "bank transfer by staff",
    ]
