"""The ledger's one writer: balanced transactions only, periods, and no edits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core.money import Money
from cocreate.royalties import ledger
from cocreate.royalties.ledger import AppendOnly, Leg, Unbalanced
from cocreate.royalties.models import Account, Kind, LedgerEntry, PeriodState, RoyaltyPeriod

AT = datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC)


@pytest.fixture
def creator(db_session: Session) -> User:
    user = User(email="maker@example.com", display_name="Maker", password_hash="x")
    db_session.add(user)
    db_session.flush()
    return user


def accrue(session: Session, creator: User, amount: int, at: datetime = AT) -> int:
    row = ledger.post(
        session,
        kind=Kind.ACCRUAL,
        creator_id=creator.id,
        currency="EUR",
        legs=[Leg(Account.CREATOR_PENDING, amount), Leg(Account.ROYALTY_EXPENSE, -amount)],
        at=at,
    )
    return row.id


def test_post_writes_legs_in_the_month_and_balance_reads_them(
    db_session: Session, creator: User
) -> None:
    accrue(db_session, creator, 150)
    entries = db_session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)).all()
    assert [(e.account, e.amount.amount, e.period) for e in entries] == [
        (Account.CREATOR_PENDING, 150, "2026-10"),
        (Account.ROYALTY_EXPENSE, -150, "2026-10"),
    ]
    balance = ledger.balance(db_session, creator.id, "EUR")
    assert (balance.pending.amount, balance.cleared.amount, balance.total.amount) == (150, 0, 150)


@pytest.mark.parametrize(
    "legs",
    [
        [Leg(Account.CREATOR_PENDING, 150), Leg(Account.ROYALTY_EXPENSE, -149)],
        [Leg(Account.CREATOR_PENDING, 0), Leg(Account.ROYALTY_EXPENSE, 0)],
        [Leg(Account.CREATOR_PENDING, 150)],
    ],
)
def test_unbalanced_transactions_are_refused(
    db_session: Session, creator: User, legs: list[Leg]
) -> None:
    with pytest.raises(Unbalanced):
        ledger.post(
            db_session, kind=Kind.ACCRUAL, creator_id=creator.id, currency="EUR", legs=legs, at=AT
        )


def test_a_closed_month_sends_new_transactions_to_the_next(
    db_session: Session, creator: User
) -> None:
    db_session.add(RoyaltyPeriod(period="2026-10", state=PeriodState.CLOSED, closed_at=AT))
    db_session.flush()
    accrue(db_session, creator, 10)
    assert db_session.scalars(select(LedgerEntry.period)).all() == ["2026-11", "2026-11"]


def test_ledger_rows_cannot_be_changed_or_deleted(db_session: Session, creator: User) -> None:
    accrue(db_session, creator, 150)
    entry = db_session.scalars(select(LedgerEntry)).first()
    assert entry is not None
    entry.period = "2026-11"
    with pytest.raises(AppendOnly):
        db_session.flush()
    db_session.rollback()


@pytest.mark.parametrize(
    ("period", "following", "before"),
    [
        ("2026-12", "2027-01", "2026-11"),
        ("2027-01", "2027-02", "2026-12"),
        ("2026-06", "2026-07", "2026-05"),
    ],
)
def test_period_arithmetic(period: str, following: str, before: str) -> None:
    assert ledger.next_period(period) == following
    assert ledger.previous_period(period) == before
    start, end = ledger.period_bounds(period)
    assert ledger.period_of(start) == period
    assert ledger.period_of(end) == following


def test_balance_reads_only_the_creators_own_accounts(db_session: Session, creator: User) -> None:
    other = User(email="other@example.com", display_name="Other", password_hash="x")
    db_session.add(other)
    db_session.flush()
    ledger.post(
        db_session,
        kind=Kind.AWARD,
        creator_id=creator.id,
        currency="EUR",
        legs=[Leg(Account.CREATOR_CLEARED, 300), Leg(Account.ROYALTY_EXPENSE, -300)],
        at=AT,
    )
    accrue(db_session, other, 150)
    mine = ledger.balance(db_session, creator.id, "EUR")
    assert (mine.pending.amount, mine.cleared.amount) == (0, 300)
    theirs = ledger.balance(db_session, other.id, "EUR")
    assert (theirs.pending.amount, theirs.cleared.amount) == (150, 0)
    accrue(db_session, creator, 20)
    both = ledger.balance(db_session, creator.id, "EUR")
    assert (both.pending.amount, both.cleared.amount) == (20, 300)


def test_unbalanced_transactions_say_why(db_session: Session, creator: User) -> None:
    one = [Leg(Account.CREATOR_PENDING, 150)]
    with pytest.raises(Unbalanced) as single:
        ledger.post(
            db_session, kind=Kind.ACCRUAL, creator_id=creator.id, currency="EUR", legs=one, at=AT
        )
    assert str(single.value) == f"a accrual transaction needs two non-zero legs or more: {one}"
    two = [Leg(Account.CREATOR_PENDING, 150), Leg(Account.ROYALTY_EXPENSE, -140)]
    with pytest.raises(Unbalanced) as uneven:
        ledger.post(
            db_session, kind=Kind.AWARD, creator_id=creator.id, currency="EUR", legs=two, at=AT
        )
    assert str(uneven.value) == f"the legs of a award transaction do not sum to zero: {two}"


def test_periods_are_utc_months_with_exact_bounds() -> None:
    from datetime import timedelta, timezone

    paris = timezone(timedelta(hours=2))
    assert ledger.period_of(datetime(2026, 11, 1, 1, 30, tzinfo=paris)) == "2026-10"
    with pytest.raises(ValueError, match=r"^naive datetime$"):
        ledger.period_of(datetime(2026, 11, 1))  # noqa: DTZ001
    assert ledger.period_bounds("2026-09") == (
        datetime(2026, 9, 1, tzinfo=UTC),
        datetime(2026, 10, 1, tzinfo=UTC),
    )
    assert ledger.next_period("2026-09") == "2026-10"
    assert ledger.previous_period("2026-11") == "2026-10"


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("1970-01", True),
        ("2026-10", True),
        ("9998-12", True),
        ("1969-12", False),
        ("9999-01", False),
        ("0000-01", False),
        ("2026-00", False),
        ("2026-13", False),
        ("2026-1", False),
        ("2026-010", False),
        (" 2026-01", False),
        ("２０２６-01", False),
    ],
)
def test_is_period(text: str, valid: bool) -> None:
    assert ledger.is_period(text) is valid


def test_a_posting_opens_its_month_and_a_closed_one_is_skipped(
    db_session: Session, creator: User
) -> None:
    db_session.add_all(
        [
            RoyaltyPeriod(period="2026-10", state=PeriodState.CLOSED, closed_at=AT),
            RoyaltyPeriod(period="2026-11", state=PeriodState.CLOSED, closed_at=AT),
        ]
    )
    db_session.flush()
    accrue(db_session, creator, 10)
    rows = db_session.execute(
        select(RoyaltyPeriod.period, RoyaltyPeriod.state).order_by(RoyaltyPeriod.period)
    ).all()
    assert [tuple(row) for row in rows] == [
        ("2026-10", PeriodState.CLOSED),
        ("2026-11", PeriodState.CLOSED),
        ("2026-12", PeriodState.OPEN),
    ]
    assert db_session.scalars(select(LedgerEntry.period).distinct()).all() == ["2026-12"]


def test_a_balance_is_in_one_currency(db_session: Session, creator: User) -> None:
    accrue(db_session, creator, 150)
    ledger.post(
        db_session,
        kind=Kind.AWARD,
        creator_id=creator.id,
        currency="USD",
        legs=[Leg(Account.CREATOR_CLEARED, 900), Leg(Account.ROYALTY_EXPENSE, -900)],
        at=AT,
    )
    eur = ledger.balance(db_session, creator.id, "EUR")
    assert (eur.pending, eur.cleared) == (Money(150, "EUR"), Money(0, "EUR"))
    usd = ledger.balance(db_session, creator.id, "USD")
    assert (usd.pending, usd.cleared) == (Money(0, "USD"), Money(900, "USD"))


def _periods(session: Session) -> list[tuple[str, PeriodState]]:
    rows = session.execute(
        select(RoyaltyPeriod.period, RoyaltyPeriod.state).order_by(RoyaltyPeriod.period)
    ).all()
    return [(period, state) for period, state in rows]


def test_the_last_closed_month_is_the_latest_closed_not_the_latest(
    db_session: Session,
) -> None:
    assert ledger.last_closed_period(db_session) is None
    db_session.add_all(
        [
            RoyaltyPeriod(period="2026-09", state=PeriodState.CLOSED, closed_at=AT),
            RoyaltyPeriod(period="2026-10", state=PeriodState.CLOSED, closed_at=AT),
            RoyaltyPeriod(period="2026-11", state=PeriodState.OPEN),
        ]
    )
    db_session.flush()
    assert ledger.last_closed_period(db_session) == "2026-10"


def test_a_late_transaction_dated_before_every_closed_month_lands_after_the_last(
    db_session: Session, creator: User
) -> None:
    """A month without a row before the closed one (the ledger started later) is not opened
    behind the closed month: the transaction goes to the month after the last closed."""
    db_session.add_all(
        [
            RoyaltyPeriod(period="2026-10", state=PeriodState.CLOSED, closed_at=AT),
            RoyaltyPeriod(period="2026-12", state=PeriodState.OPEN),
        ]
    )
    db_session.flush()
    accrue(db_session, creator, 10, at=datetime(2026, 8, 15, 12, 0, tzinfo=UTC))
    assert db_session.scalars(select(LedgerEntry.period).distinct()).all() == ["2026-11"]
    assert _periods(db_session) == [
        ("2026-10", PeriodState.CLOSED),
        ("2026-11", PeriodState.OPEN),
        ("2026-12", PeriodState.OPEN),
    ]


def test_a_month_closed_while_a_posting_waited_sends_it_to_the_next_open_one(
    db_session: Session, creator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The posting read the last closed month before a close committed (on PostgreSQL it then
    waits on the month's row: tests/royalties/test_concurrency.py): it finds the month closed
    under its hold and moves on, month by month, to the first open one."""
    db_session.add_all(
        [
            RoyaltyPeriod(period="2026-10", state=PeriodState.CLOSED, closed_at=AT),
            RoyaltyPeriod(period="2026-11", state=PeriodState.CLOSED, closed_at=AT),
        ]
    )
    db_session.flush()
    monkeypatch.setattr(ledger, "last_closed_period", lambda _session: None)
    accrue(db_session, creator, 10)
    assert db_session.scalars(select(LedgerEntry.period).distinct()).all() == ["2026-12"]
    assert _periods(db_session) == [
        ("2026-10", PeriodState.CLOSED),
        ("2026-11", PeriodState.CLOSED),
        ("2026-12", PeriodState.OPEN),
    ]
