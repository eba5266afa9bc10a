"""Payouts at the service level, without rendering a page (fast enough for `make mutation`):
the messages a payout is refused with, the staff pages' read side (batches, a batch's payouts,
a payout's history, Stripe-ready creators, names), and what a payout covers, line by line."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import Config, settings
from cocreate.core import jobs
from cocreate.core.lifecycle import InvalidTransition, NotAllowed
from cocreate.core.money import Money
from cocreate.core.outbox import OutboxMessage
from cocreate.royalties import ledger, payouts
from cocreate.royalties.ledger import Leg
from cocreate.royalties.models import (
    Account,
    Kind,
    LedgerTransaction,
    Payout,
    PayoutAccount,
    PayoutMethod,
    PayoutState,
)
from cocreate.shop.models import OrderLine
from tests.accounts.factories import UserFactory
from tests.royalties.payout_fixtures import adjust, award, cleared, payout_account
from tests.shop.checkout_factories import VariantFactory, place

pytestmark = pytest.mark.usefixtures("request_ctx")

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 4, 6, 10, 0, tzinfo=UTC)
S = PayoutState


def _payout(session: Session, creator: User, batch: str, amount: int, at: datetime) -> Payout:
    """A payout row as a batch (or an import from the old system) leaves it."""
    payout = Payout(
        creator_id=creator.id,
        batch=batch,
        amount=Money(amount, "EUR"),
        method=PayoutMethod.MANUAL,
        state=S.SENT,
        created_at=at,
    )
    session.add(payout)
    session.flush()
    return payout


def _rows(payout: Payout, session: Session) -> list[list[str]]:
    """The payout's CSV of what it covers, without its header."""
    text = payouts.covers_csv(payout, payouts.covers(session, payout))
    return list(csv.reader(io.StringIO(text)))[1:]


# -- refusals, in the words staff and creators read ----------------------------------------------


def test_a_batch_and_a_threshold_are_refused_in_words(db_session: Session, config: Config) -> None:
    creator = UserFactory()
    with pytest.raises(NotAllowed) as refused:
        payouts.run_batch(db_session, actor=creator, now=AT, settings=config)
    assert str(refused.value) == "Only staff can run payouts."
    for low in (Money(2499, "EUR"), Money(3000, "USD")):
        with pytest.raises(payouts.PayoutError) as below:
            payouts.set_threshold(db_session, creator, low, settings=config, now=AT)
        assert str(below.value) == "Your threshold cannot be below the site minimum of €25.00."
    assert db_session.get(PayoutAccount, creator.id) is None


def test_a_manual_payment_is_refused_in_words(
    db_session: Session, config: Config, staff: User
) -> None:
    creator = UserFactory()
    cleared(db_session, creator, 2500, AT)
    (payout,) = payouts.run_batch(db_session, actor=staff, now=AT, settings=config).payouts
    refusals: list[tuple[str, User, str]] = [
        ("VIR-1", creator, "Only staff can record payments."),
        ("", staff, "Please enter the bank transfer's reference."),
        (" \t ", staff, "Please enter the bank transfer's reference."),
        ("V" * 256, staff, "The reference is too long."),
    ]
    for reference, actor, message in refusals:
        with pytest.raises((NotAllowed, payouts.PayoutError)) as refused:
            payouts.record_manual(db_session, payout, reference, actor, LATER)
        assert str(refused.value) == message
    assert (payout.state, payout.reference, payout.settled_at) == (S.SENT, "", None)
    # 255 characters is the longest reference.
    payouts.record_manual(db_session, payout, " " + "V" * 255 + " ", staff, LATER)
    assert (payout.state, payout.reference, payout.settled_at) == (S.PAID, "V" * 255, LATER)
    assert [
        (t.from_state, t.to_state, t.actor_id, t.reason)
        for t in payouts.history(db_session, payout)
    ] == [(S.SENT, S.PAID, staff.id, "V" * 255)]


def test_a_stripe_payout_is_refused_by_hand_in_words(
    db_session: Session, config: Config, staff: User
) -> None:
    creator = UserFactory()
    payout_account(db_session, creator, AT, ready=True)
    cleared(db_session, creator, 2500, AT)
    (payout,) = payouts.run_batch(db_session, actor=staff, now=AT, settings=config).payouts
    with pytest.raises(payouts.PayoutError) as refused:
        payouts.record_manual(db_session, payout, "VIR-1", staff, LATER)
    assert str(refused.value) == "This payout is a Stripe transfer: Stripe records it."
    assert payouts.history(db_session, payout) == []


def test_a_failed_transfer_records_when_and_why(
    db_session: Session, config: Config, staff: User
) -> None:
    creator = UserFactory()
    payout_account(db_session, creator, AT, ready=True)
    cleared(db_session, creator, 2500, AT)
    (payout,) = payouts.run_batch(db_session, actor=staff, now=AT, settings=config).payouts
    payouts.transfer_failed(db_session, payout, "No such destination", LATER)
    assert (payout.state, payout.failure, payout.settled_at) == (
        S.FAILED,
        "No such destination",
        LATER,
    )
    assert payout.reference == ""


# -- the staff pages' read side ------------------------------------------------------------------


def test_recent_batches_newest_first_with_their_payouts(db_session: Session) -> None:
    ann, bob = UserFactory(), UserFactory()
    # An import from the old system: oldest, though its name sorts last.
    imported = _payout(db_session, ann, "import", 9000, datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    # Two batches started in the same minute: the later number first.
    b1 = _payout(db_session, ann, "20260302-0900-aaaa", 3000, AT)
    b2 = _payout(
        db_session, bob, "20260302-0900-aaaa", 4100, datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    )
    c1 = _payout(db_session, bob, "20260302-0900-ffff", 2500, AT)
    summaries = payouts.recent_batches(db_session)
    assert [(s.number, s.at, [p.id for p in s.payouts], s.total) for s in summaries] == [
        ("20260302-0900-ffff", AT, [c1.id], Money(2500, "EUR")),
        ("20260302-0900-aaaa", AT, [b1.id, b2.id], Money(7100, "EUR")),
        ("import", datetime(2026, 1, 5, 8, 0, tzinfo=UTC), [imported.id], Money(9000, "EUR")),
    ]
    assert [s.number for s in payouts.recent_batches(db_session, limit=2)] == [
        "20260302-0900-ffff",
        "20260302-0900-aaaa",
    ]
    assert [p.id for p in payouts.batch_payouts(db_session, "20260302-0900-aaaa")] == [
        b1.id,
        b2.id,
    ]
    assert payouts.batch_payouts(db_session, "20260302-0900-0000") == []
    # A creator's payouts, newest first; of two made at once, the later one first.
    backdated = _payout(db_session, ann, "import", 1000, datetime(2026, 2, 1, 8, 0, tzinfo=UTC))
    twin = _payout(db_session, ann, "20260302-0900-aaaa", 500, AT)
    assert [p.id for p in payouts.creator_payouts(db_session, ann.id)] == [
        twin.id,
        b1.id,
        backdated.id,
        imported.id,
    ]


def test_stripe_ready_ids_and_names(db_session: Session) -> None:
    ann = UserFactory(display_name="Ann Artist")
    bob = UserFactory(display_name="Bob Builder")
    cid = UserFactory(display_name="Cid Carver")
    payout_account(db_session, ann, AT, ready=True)
    payout_account(db_session, bob, AT, ready=False)
    payout_account(db_session, cid, AT, ready=True)
    assert payouts.stripe_ready_ids(db_session, [ann.id, bob.id]) == {ann.id}
    assert payouts.stripe_ready_ids(db_session, [bob.id]) == set()
    assert payouts.stripe_ready_ids(db_session, []) == set()
    assert payouts.names(db_session, [ann.id, None, bob.id]) == {
        ann.id: "Ann Artist",
        bob.id: "Bob Builder",
    }
    assert payouts.names(db_session, [None]) == {}


def test_labels_of_every_kind(app: Flask) -> None:
    assert [payouts.kind_label(kind) for kind in Kind] == [
        "accrual",
        "reversal",
        "award",
        "adjustment",
        "clearing",
        "payout",
    ]


# -- what a payout covers ------------------------------------------------------------------------


def _line(db_session: Session, app: Flask, creator: User, units: int) -> tuple[OrderLine, str]:
    """An order line of `units` of the creator's design "Night Owl", and its order's number."""
    variant = VariantFactory(design__designer=creator, design__title="Night Owl")
    order = place(db_session, settings(app), [(variant, units)], now=AT)
    return order.lines[0], order.number


def test_a_payout_covers_each_transaction_with_its_source(
    db_session: Session, app: Flask, config: Config, staff: User
) -> None:
    maya, otto = UserFactory(), UserFactory()
    line, order_number = _line(db_session, app, maya, units=2)
    cleared(db_session, maya, 500, AT, line)
    # Two awards alike (same instant, same amount): two lines, not one.
    award(db_session, maya, 1250, AT, design_id=line.design_id)
    award(db_session, maya, 1250, AT, design_id=line.design_id)
    # Another creator's earnings in between are not Maya's.
    award(db_session, otto, 2600, AT)
    adjust(db_session, maya, 300, AT, staff, "Missed accrual")
    # A refund after the earnings cleared, as accruals.reverse writes it (memo: the line title).
    ledger.post(
        db_session,
        kind=Kind.REVERSAL,
        creator_id=maya.id,
        currency="EUR",
        legs=[Leg(Account.CREATOR_CLEARED, -250), Leg(Account.ROYALTY_EXPENSE, 250)],
        at=AT,
        order_line_id=line.id,
        design_id=line.design_id,
        units=1,
        memo="Night Owl — M",
    )
    mine, theirs = payouts.run_batch(db_session, actor=staff, now=LATER, settings=config).payouts
    assert (mine.creator_id, mine.amount, theirs.amount) == (
        maya.id,
        Money(3050, "EUR"),
        Money(2600, "EUR"),
    )
    assert _rows(mine, db_session) == [
        ["2026-03-02", "clearing", order_number, "Night Owl", "2", "", "5.00"],
        ["2026-03-02", "award", "", "Night Owl", "", "", "12.50"],
        ["2026-03-02", "award", "", "Night Owl", "", "", "12.50"],
        ["2026-03-02", "adjustment", "", "", "", "Missed accrual", "3.00"],
        ["2026-03-02", "reversal", order_number, "Night Owl", "1", "", "-2.50"],
        ["", "Total", "", "", "", "EUR", "30.50"],
    ]
    assert _rows(theirs, db_session) == [
        ["2026-03-02", "award", "", "", "", "", "26.00"],
        ["", "Total", "", "", "", "EUR", "26.00"],
    ]
    # Otto's next payout starts after his own previous one, not after Maya's.
    award(db_session, otto, 2500, LATER)
    (again,) = payouts.run_batch(db_session, actor=staff, now=LATER, settings=config).payouts
    assert _rows(again, db_session) == [
        ["2026-04-06", "award", "", "", "", "", "25.00"],
        ["", "Total", "", "", "", "EUR", "25.00"],
    ]


def test_a_one_cent_payout_returned_is_described_as_returned(
    db_session: Session, app: Flask, staff: User
) -> None:
    config = replace(settings(app), PAYMENT_GATEWAY="stripe", ROYALTY_PAYOUT_MINIMUM=1)
    maya = UserFactory()
    payout_account(db_session, maya, AT, ready=True, threshold=1)
    award(db_session, maya, 1, AT)
    (failed,) = payouts.run_batch(db_session, actor=staff, now=AT, settings=config).payouts
    payouts.transfer_failed(db_session, failed, "No such destination", AT)
    (again,) = payouts.run_batch(db_session, actor=staff, now=LATER, settings=config).payouts
    assert again.amount == Money(1, "EUR")
    assert _rows(again, db_session) == [
        ["2026-03-02", "award", "", "", "", "", "0.01"],
        ["2026-03-02", "payout", "", "", "", f"payout {failed.id} sent", "-0.01"],
        [
            "2026-03-02",
            "payout",
            "",
            "",
            "",
            f"payout {failed.id} returned after a failed transfer",
            "0.01",
        ],
        ["", "Total", "", "", "", "EUR", "0.01"],
    ]


def test_a_transfer_that_succeeded_is_recorded_when_and_without_a_reason(
    db_session: Session, config: Config, staff: User
) -> None:
    creator = UserFactory()
    payout_account(db_session, creator, AT, ready=True)
    cleared(db_session, creator, 2500, AT)
    batch = payouts.run_batch(db_session, actor=staff, now=AT, settings=config)
    (payout,) = batch.payouts
    payouts.transfer_succeeded(db_session, payout, "tr_1", LATER)
    assert [
        (t.from_state, t.to_state, t.actor_id, t.reason, t.created_at)
        for t in payouts.history(db_session, payout)
    ] == [(S.SENT, S.PAID, None, "", LATER)]
    moves = db_session.scalars(
        select(LedgerTransaction)
        .where(LedgerTransaction.payout_id == payout.id)
        .order_by(LedgerTransaction.id)
    ).all()
    assert [
        (
            t.kind,
            t.memo,
            t.occurred_at,
            t.actor_id,
            [(e.account, e.amount.amount) for e in t.entries],
        )
        for t in moves
    ] == [
        (
            Kind.PAYOUT,
            f"payout {batch.number}",
            AT,
            staff.id,
            [(Account.CREATOR_CLEARED, -2500), (Account.PAYOUTS_IN_TRANSIT, 2500)],
        ),
        (
            Kind.PAYOUT,
            "",
            LATER,
            None,
            [(Account.PAYOUTS_IN_TRANSIT, -2500), (Account.CASH, 2500)],
        ),
    ]
    with pytest.raises(InvalidTransition) as again:
        payouts.transfer_succeeded(db_session, payout, "tr_2", LATER)
    assert str(again.value) == "This payout is already paid."
    failed = _stripe_payout_failed(db_session, config, staff)
    with pytest.raises(InvalidTransition) as late:
        payouts.transfer_succeeded(db_session, failed, "tr_3", LATER)
    assert str(late.value) == "This payout is already failed."


def _stripe_payout_failed(session: Session, config: Config, staff: User) -> Payout:
    creator = UserFactory()
    payout_account(session, creator, AT, ready=True)
    cleared(session, creator, 2600, AT)
    (payout,) = payouts.run_batch(session, actor=staff, now=AT, settings=config).payouts
    payouts.transfer_failed(session, payout, "No such destination", AT)
    return payout


def test_a_payout_carries_over_the_balance_from_before_its_lines(
    db_session: Session, config: Config, staff: User
) -> None:
    maya = UserFactory()
    award(db_session, maya, 5000, AT)
    # An import from the old system paid 30.00 of it and left 20.00 behind.
    earlier = _payout(db_session, maya, "import", 3000, AT)
    ledger.post(
        db_session,
        kind=Kind.PAYOUT,
        creator_id=maya.id,
        currency="EUR",
        legs=[Leg(Account.CREATOR_CLEARED, -3000), Leg(Account.PAYOUTS_IN_TRANSIT, 3000)],
        at=AT,
        payout_id=earlier.id,
    )
    cleared(db_session, maya, 1000, LATER)
    (payout,) = payouts.run_batch(db_session, actor=staff, now=LATER, settings=config).payouts
    assert payouts.covers(db_session, payout) == [
        payouts.CoverLine(
            at=LATER,
            kind="clearing",
            order_number="",
            design="",
            units=None,
            description="",
            amount=Money(1000, "EUR"),
        ),
        payouts.CoverLine(
            at=None,
            kind="carried over",
            order_number="",
            design="",
            units=None,
            description="the cleared balance before these lines",
            amount=Money(2000, "EUR"),
        ),
    ]
    text = payouts.covers_csv(payout, payouts.covers(db_session, payout))
    assert list(csv.reader(io.StringIO(text))) == [
        ["Date", "Kind", "Order", "Design", "Units", "Details", "Amount"],
        ["2026-04-06", "clearing", "", "", "", "", "10.00"],
        ["", "carried over", "", "", "", "the cleared balance before these lines", "20.00"],
        ["", "Total", "", "", "", "EUR", "30.00"],
    ]


# -- who is owed, and a batch --------------------------------------------------------------------


def test_a_threshold_is_the_creators_but_never_below_the_minimum(
    db_session: Session, config: Config
) -> None:
    raised, stale = UserFactory(), UserFactory()
    payout_account(db_session, raised, AT, ready=False, threshold=5000)
    payout_account(db_session, stale, AT, ready=False, threshold=1000)
    assert payouts.threshold_of(None, config) == Money(2500, "EUR")
    assert payouts.threshold_of(db_session.get(PayoutAccount, raised.id), config) == Money(
        5000, "EUR"
    )
    assert payouts.threshold_of(db_session.get(PayoutAccount, stale.id), config) == Money(
        2500, "EUR"
    )
    assert payouts.minimum(config) == Money(2500, "EUR")


def test_eligible_counts_the_shops_currency_only(db_session: Session, config: Config) -> None:
    creator = UserFactory()
    cleared(db_session, creator, 2000, AT)
    ledger.post(
        db_session,
        kind=Kind.AWARD,
        creator_id=creator.id,
        currency="USD",
        legs=[Leg(Account.CREATOR_CLEARED, 1000), Leg(Account.ROYALTY_EXPENSE, -1000)],
        at=AT,
    )
    assert payouts.eligible(db_session, config) == []
    cleared(db_session, creator, 500, AT)
    assert payouts.eligible(db_session, config) == [
        payouts.Eligible(creator.id, Money(2500, "EUR"), Money(2500, "EUR"))
    ]


def test_a_one_cent_minimum_applies_to_a_creator_without_a_payout_account(
    db_session: Session, app: Flask
) -> None:
    config = replace(settings(app), ROYALTY_PAYOUT_MINIMUM=1)
    creator = UserFactory()
    award(db_session, creator, 1, AT)
    assert payouts.eligible(db_session, config) == [
        payouts.Eligible(creator.id, Money(1, "EUR"), Money(1, "EUR"))
    ]


def test_a_batch_reads_each_balance_again_and_skips_one_that_fell_below_the_threshold(
    db_session: Session, config: Config, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As when a refund after the batch read who is owed takes earnings back first: the
    creator is skipped, not paid below their threshold, and the batch goes on."""
    ann, bob = UserFactory(), UserFactory()
    payout_account(db_session, ann, AT, ready=False, threshold=5000)
    cleared(db_session, ann, 6000, AT)
    cleared(db_session, bob, 2500, AT)
    seen = payouts.eligible(db_session, config)
    assert [(e.creator_id, e.cleared.amount) for e in seen] == [(ann.id, 6000), (bob.id, 2500)]
    award(db_session, ann, -2000, AT)
    monkeypatch.setattr(payouts, "eligible", lambda _session, _settings: seen)
    batch = payouts.run_batch(db_session, actor=staff, now=LATER, settings=config)
    assert [(p.creator_id, p.amount.amount) for p in batch.payouts] == [(bob.id, 2500)]
    assert ledger.balance(db_session, ann.id, "EUR").cleared == Money(4000, "EUR")


def test_a_batch_records_when_it_ran_and_hands_its_transfers_to_delivery(
    db_session: Session, config: Config, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    delivered: list[list[int]] = []
    monkeypatch.setattr(jobs, "deliver_after_commit", delivered.append)
    manual, first, second = UserFactory(), UserFactory(), UserFactory()
    for creator in (first, second):
        payout_account(db_session, creator, AT, ready=True)
    for creator in (manual, first, second):
        cleared(db_session, creator, 2500, AT)
    batch = payouts.run_batch(db_session, actor=staff, now=LATER, settings=config)
    assert [(p.state, p.created_at) for p in batch.payouts] == [(S.SENT, LATER)] * 3
    # The creator without a payout account has one now, at the minimum, made at the batch's time.
    account = db_session.get_one(PayoutAccount, manual.id)
    assert (account.threshold, account.stripe_ready, account.updated_at) == (
        Money(2500, "EUR"),
        False,
        LATER,
    )
    messages = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.payload for m in messages] == [
        {"payout_id": batch.payouts[1].id},
        {"payout_id": batch.payouts[2].id},
    ]
    assert delivered == [[messages[0].id, messages[1].id]]
    # A batch of bank transfers only hands nothing to delivery.
    cleared(db_session, manual, 2500, AT)
    payouts.run_batch(db_session, actor=staff, now=LATER, settings=config)
    assert len(delivered) == 1


def test_how_a_payout_ended_is_in_the_ledger_with_who_and_why(
    db_session: Session, config: Config, staff: User
) -> None:
    creator = UserFactory()
    cleared(db_session, creator, 2500, AT)
    (paid,) = payouts.run_batch(db_session, actor=staff, now=AT, settings=config).payouts
    payouts.record_manual(db_session, paid, "VIR-7", staff, LATER)
    failed = _stripe_payout_failed(db_session, config, staff)
    ends = db_session.scalars(
        select(LedgerTransaction)
        .where(LedgerTransaction.payout_id.in_([paid.id, failed.id]))
        .order_by(LedgerTransaction.id)
    ).all()
    assert [(t.payout_id, t.memo, t.actor_id, t.occurred_at) for t in ends] == [
        (paid.id, f"payout {paid.batch}", staff.id, AT),
        (paid.id, "VIR-7", staff.id, LATER),
        (failed.id, f"payout {failed.batch}", staff.id, AT),
        (failed.id, "No such destination", None, AT),
    ]
