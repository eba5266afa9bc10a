"""The royalty rules: tiers by units sold per design, split lines, versioned schedules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.config import settings
from cocreate.core.clock import TestClock
from cocreate.core.money import Money
from cocreate.royalties import rules
from cocreate.royalties.models import DesignUnits, RoyaltySchedule, ScheduleBasis
from cocreate.royalties.rules import ScheduleError, Tier
from tests.designs.factories import DesignFactory

TIERS = (Tier(1, Decimal("0.10"), None), Tier(101, Decimal("0.12"), None), Tier(501, None, None))
SMALL = (
    Tier(1, Decimal("0.10"), None),
    Tier(3, Decimal("0.20"), None),
    Tier(6, Decimal("0.30"), None),
)


def eur(cents: int) -> Money:
    return Money(cents, "EUR")


@pytest.mark.parametrize(
    ("first", "units", "expected"),
    [
        (1, 2, [(1, 1, 2)]),
        (1, 3, [(1, 1, 2), (3, 3, 1)]),
        (2, 6, [(1, 2, 1), (3, 3, 3), (6, 6, 2)]),
        (6, 4, [(6, 6, 4)]),
        (5, 1, [(3, 5, 1)]),
        (3, 3, [(3, 3, 3)]),
    ],
)
def test_split_by_tier(first: int, units: int, expected: list[tuple[int, int, int]]) -> None:
    got = rules.split(first, units, SMALL)
    assert [(tier.first_unit, start, count) for tier, start, count in got] == expected


@pytest.mark.parametrize(("first", "units"), [(0, 1), (1, 0), (-1, 3)])
def test_split_refuses_no_units(first: int, units: int) -> None:
    with pytest.raises(ValueError) as refused:
        rules.split(first, units, SMALL)
    assert str(refused.value) == f"units {first}+{units} must be positive"


def test_default_rules_from_the_settings(app: Flask, db_session: Session) -> None:
    got = rules.rules_at(db_session, datetime(2026, 1, 1, tzinfo=UTC), settings(app))
    assert got == rules.Rules(
        None,
        ScheduleBasis.PERCENT,
        (
            Tier(1, Decimal("0.10"), None),
            Tier(101, Decimal("0.12"), None),
            Tier(501, Decimal("0.15"), None),
        ),
        0,
    )


def test_a_line_crossing_100_is_split_with_its_net_allocated_by_units(
    app: Flask, db_session: Session
) -> None:
    in_force = rules.rules_at(db_session, datetime(2026, 1, 1, tzinfo=UTC), settings(app))
    # 5 units from unit 99, net 104.17: 2 units at 10 %, 3 at 12 %; 104.17 × 2/5 = 41.668.
    pieces = rules.price_pieces(in_force, 99, 5, eur(10417))
    assert [
        (p.tier, p.first_unit, p.units, p.rate, p.net_base.amount, p.amount.amount) for p in pieces
    ] == [
        (1, 99, 2, Decimal("0.10"), 4167, 417),
        (2, 101, 3, Decimal("0.12"), 6250, 750),
    ]


def test_per_unit_pieces() -> None:
    per_unit = rules.Rules(7, ScheduleBasis.PER_UNIT, (Tier(1, None, 150), Tier(3, None, 200)), 0)
    pieces = rules.price_pieces(per_unit, 2, 3, eur(6250))
    assert [
        (p.tier, p.units, p.per_unit_amount, p.net_base.amount, p.amount.amount) for p in pieces
    ] == [
        (1, 1, 150, 2083, 150),
        (2, 2, 200, 4167, 400),
    ]


def test_units_are_counted_per_design(db_session: Session) -> None:
    one, two = DesignFactory(), DesignFactory()
    assert rules.claim_units(db_session, one.id, 3) == 1
    assert rules.claim_units(db_session, one.id, 2) == 4
    assert rules.claim_units(db_session, two.id, 1) == 1
    assert rules.claim_units(db_session, one.id, 1) == 6
    assert db_session.scalar(select(DesignUnits.units).where(DesignUnits.design_id == one.id)) == 6


def _save(session: Session, now: datetime, **changes: object) -> RoyaltySchedule:
    args: dict[str, object] = {
        "effective_from": now + timedelta(days=1),
        "basis": ScheduleBasis.PERCENT,
        "tiers": SMALL,
        "award": eur(500),
        "actor_id": None,
        "now": now,
    }
    args.update(changes)
    return rules.save_schedule(session, **args)  # type: ignore[arg-type]


def test_a_schedule_applies_from_its_date(
    app: Flask, db_session: Session, clock: TestClock, request_ctx: None
) -> None:
    now = clock.now()
    saved = _save(db_session, now, effective_from=now + timedelta(days=1))
    before = rules.rules_at(db_session, now + timedelta(days=1, seconds=-1), settings(app))
    from_then = rules.rules_at(db_session, now + timedelta(days=1), settings(app))
    assert before.schedule_id is None
    assert (saved.created_at, saved.created_by_id) == (now, None)
    assert from_then == rules.Rules(saved.id, ScheduleBasis.PERCENT, SMALL, 500)
    later = _save(
        db_session,
        now,
        effective_from=now + timedelta(days=10),
        basis=ScheduleBasis.PER_UNIT,
        tiers=(Tier(1, None, 100),),
        award=eur(0),
    )
    assert (
        rules.rules_at(db_session, now + timedelta(days=9), settings(app)).schedule_id == saved.id
    )
    assert rules.rules_at(db_session, now + timedelta(days=10), settings(app)) == rules.Rules(
        later.id, ScheduleBasis.PER_UNIT, (Tier(1, None, 100),), 0
    )
    assert [s.id for s in rules.schedules(db_session)] == [later.id, saved.id]
    assert rules.rules_by_id(db_session, saved.id, settings(app)).tiers == SMALL
    assert rules.rules_by_id(db_session, None, settings(app)).schedule_id is None


def test_a_schedule_may_start_now_but_not_before(
    db_session: Session, clock: TestClock, request_ctx: None
) -> None:
    now = clock.now()
    assert _save(db_session, now, effective_from=now).effective_from == now
    with pytest.raises(ScheduleError) as past:
        _save(db_session, now, effective_from=now - timedelta(seconds=1))
    assert str(past.value) == "A new schedule cannot start in the past."
    with pytest.raises(ScheduleError) as taken:
        _save(db_session, now, effective_from=now)
    assert str(taken.value) == "A schedule already starts at that moment."


@pytest.mark.parametrize(
    ("basis", "tiers", "message"),
    [
        (ScheduleBasis.PERCENT, (), "The first tier must start at unit 1."),
        (
            ScheduleBasis.PERCENT,
            (Tier(2, Decimal("0.1"), None),),
            "The first tier must start at unit 1.",
        ),
        (
            ScheduleBasis.PERCENT,
            (Tier(1, Decimal("0.1"), None), Tier(1, Decimal("0.2"), None)),
            "Each tier must start after the one before it.",
        ),
        (
            ScheduleBasis.PERCENT,
            (
                Tier(1, Decimal("0.1"), None),
                Tier(5, Decimal("0.2"), None),
                Tier(4, Decimal("0.2"), None),
            ),
            "Each tier must start after the one before it.",
        ),
        (
            ScheduleBasis.PERCENT,
            (Tier(1, Decimal("1.01"), None),),
            "Each tier needs a percentage from 0 to 100.",
        ),
        (
            ScheduleBasis.PERCENT,
            (Tier(1, Decimal("-0.01"), None),),
            "Each tier needs a percentage from 0 to 100.",
        ),
        (
            ScheduleBasis.PERCENT,
            (Tier(1, None, 100),),
            "Each tier needs a percentage from 0 to 100.",
        ),
        (
            ScheduleBasis.PERCENT,
            (Tier(1, Decimal("0.1"), 100),),
            "Each tier needs a percentage from 0 to 100.",
        ),
        (
            ScheduleBasis.PER_UNIT,
            (Tier(1, None, -1),),
            "Each tier needs an amount per unit of zero or more.",
        ),
        (
            ScheduleBasis.PER_UNIT,
            (Tier(1, Decimal("0.1"), None),),
            "Each tier needs an amount per unit of zero or more.",
        ),
        (
            ScheduleBasis.PER_UNIT,
            (Tier(1, Decimal("0.1"), 5),),
            "Each tier needs an amount per unit of zero or more.",
        ),
    ],
)
def test_invalid_tiers_are_refused(
    db_session: Session,
    clock: TestClock,
    request_ctx: None,
    basis: ScheduleBasis,
    tiers: tuple[Tier, ...],
    message: str,
) -> None:
    with pytest.raises(ScheduleError) as refused:
        _save(db_session, clock.now(), basis=basis, tiers=tiers)
    assert str(refused.value) == message


def test_edge_tiers_are_accepted(db_session: Session, clock: TestClock, request_ctx: None) -> None:
    _save(db_session, clock.now(), tiers=(Tier(1, Decimal("0"), None), Tier(2, Decimal("1"), None)))
    _save(
        db_session,
        clock.now(),
        effective_from=clock.now() + timedelta(days=2),
        basis=ScheduleBasis.PER_UNIT,
        tiers=(Tier(1, None, 0),),
    )
    with pytest.raises(ScheduleError) as negative:
        _save(
            db_session, clock.now(), effective_from=clock.now() + timedelta(days=3), award=eur(-1)
        )
    assert str(negative.value) == "The approval award cannot be negative."
