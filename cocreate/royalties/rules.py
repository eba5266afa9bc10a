"""The royalty rules: a schedule tiered by units sold per design, versioned by date.

A schedule says, for each tier (units `first_unit` and up to the next tier's), either a share
of the line's net revenue (VAT and shipping excluded) or a fixed amount per unit. Staff save a
new version from a date; an accrual keeps the version in force when its order was paid. Until
staff save one, the default comes from the settings (ROYALTY_TIERS, ROYALTY_APPROVAL_AWARD).

A line that crosses a tier boundary is split by units: its pieces (`AccrualPiece`) each take
the units of one tier and the line's net shared over them by `allocate`, and each piece's
royalty is rounded once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import pairwise

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cocreate.config import Config
from cocreate.core import db
from cocreate.core.money import Money, allocate, apply_rate
from cocreate.royalties.models import (
    AccrualPiece,
    DesignUnits,
    RoyaltySchedule,
    RoyaltyTier,
    ScheduleBasis,
)


class ScheduleError(ValueError):
    """A schedule that cannot be saved; `str()` is a message for staff."""


@dataclass(frozen=True)
class Tier:
    """Units `first_unit` and beyond (until the next tier) earn `rate` or `per_unit`."""

    first_unit: int
    #: A share of the net revenue (0.10 is 10 %), or None for a per-unit tier.
    rate: Decimal | None
    #: Minor units per unit sold, or None for a percentage tier.
    per_unit: int | None


@dataclass(frozen=True)
class Rules:
    #: The RoyaltySchedule row, or None for the default from the settings.
    schedule_id: int | None
    basis: ScheduleBasis
    tiers: tuple[Tier, ...]
    #: Credited when a design is approved (minor units of the shop's currency; 0 for none).
    award: int


def default_rules(settings: Config) -> Rules:
    tiers = sorted(
        (Tier(int(first), rate, None) for first, rate in settings.ROYALTY_TIERS.items()),
        key=lambda tier: tier.first_unit,
    )
    return Rules(None, ScheduleBasis.PERCENT, tuple(tiers), settings.ROYALTY_APPROVAL_AWARD)


def rules_of(schedule: RoyaltySchedule) -> Rules:
    tiers = tuple(Tier(t.first_unit, t.rate, t.per_unit_amount) for t in schedule.tiers)
    return Rules(schedule.id, schedule.basis, tiers, schedule.award.amount)


def rules_at(session: Session, at: datetime, settings: Config) -> Rules:
    """The rules in force at `at`: the newest schedule from that instant or before, else the
    default from the settings."""
    schedule = session.scalars(
        select(RoyaltySchedule)
        .where(RoyaltySchedule.effective_from <= at)
        .order_by(RoyaltySchedule.effective_from.desc())
    ).first()
    return default_rules(settings) if schedule is None else rules_of(schedule)


def rules_by_id(session: Session, schedule_id: int | None, settings: Config) -> Rules:
    if schedule_id is None:
        return default_rules(settings)
    return rules_of(session.get_one(RoyaltySchedule, schedule_id))


def schedules(session: Session) -> list[RoyaltySchedule]:
    """Every saved version, newest first."""
    return list(
        session.scalars(select(RoyaltySchedule).order_by(RoyaltySchedule.effective_from.desc()))
    )


# -- splitting a line by tier --------------------------------------------------------------------


def split(first_unit: int, units: int, tiers: Sequence[Tier]) -> list[tuple[Tier, int, int]]:
    """Units `first_unit` … `first_unit + units - 1` by tier: (tier, first unit, units) for
    each tier they cross, in order. Tiers are sorted by first unit, the first starting at 1."""
    if first_unit < 1 or units < 1:
        raise ValueError(f"units {first_unit}+{units} must be positive")
    last = first_unit + units - 1
    pieces = []
    for index, tier in enumerate(tiers):
        end = tiers[index + 1].first_unit - 1 if index + 1 < len(tiers) else last
        start = max(first_unit, tier.first_unit)
        stop = min(last, end)
        if start <= stop:
            pieces.append((tier, start, stop - start + 1))
    return pieces


def price_pieces(rules: Rules, first_unit: int, units: int, net: Money) -> list[AccrualPiece]:
    """The pieces of `units` units from `first_unit`, whose net revenue is `net`: the net is
    allocated over the pieces by units, and each piece's royalty rounded once."""
    parts = split(first_unit, units, rules.tiers)
    nets = allocate(net, [count for _tier, _first, count in parts])
    pieces = []
    for (tier, first, count), net_base in zip(parts, nets, strict=True):
        if tier.rate is not None:
            amount = apply_rate(net_base, tier.rate)
        else:
            amount = Money((tier.per_unit or 0) * count, net.currency)
        pieces.append(
            AccrualPiece(
                tier=rules.tiers.index(tier) + 1,
                first_unit=first,
                units=count,
                rate=tier.rate,
                per_unit_amount=tier.per_unit,
                net_base=net_base,
                amount=amount,
            )
        )
    return pieces


# -- units sold per design ------------------------------------------------------------------------


def claim_units(session: Session, design_id: int, units: int) -> int:
    """Count `units` more sold of the design and return the first of them (1 for the first
    sale ever). SQL arithmetic on one row: two sales at once each get their own numbers."""
    session.execute(
        db.upsert_insert(session)(DesignUnits)
        .values(design_id=design_id, units=0)
        .on_conflict_do_nothing()
    )
    total = session.execute(
        update(DesignUnits)
        .where(DesignUnits.design_id == design_id)
        .values(units=DesignUnits.units + units)
        .returning(DesignUnits.units)
    ).scalar_one()
    return int(total) - units + 1


# -- saving a version -----------------------------------------------------------------------------


def validate(basis: ScheduleBasis, tiers: Sequence[Tier]) -> None:
    """Raise ScheduleError unless the tiers start at unit 1, strictly increase, and each has a
    rate from 0 to 1 (percent) or a per-unit amount of 0 or more (per unit)."""
    if not tiers or tiers[0].first_unit != 1:
        raise ScheduleError(_("The first tier must start at unit 1."))
    for before, after in pairwise(tiers):
        if after.first_unit <= before.first_unit:
            raise ScheduleError(_("Each tier must start after the one before it."))
    for tier in tiers:
        if basis is ScheduleBasis.PERCENT:
            if tier.rate is None or tier.per_unit is not None or not 0 <= tier.rate <= 1:
                raise ScheduleError(_("Each tier needs a percentage from 0 to 100."))
        elif tier.per_unit is None or tier.rate is not None or tier.per_unit < 0:
            raise ScheduleError(_("Each tier needs an amount per unit of zero or more."))


def save_schedule(
    session: Session,
    *,
    effective_from: datetime,
    basis: ScheduleBasis,
    tiers: Sequence[Tier],
    award: Money,
    actor_id: int | None,
    now: datetime,
) -> RoyaltySchedule:
    """Save a new version of the rules, in force from `effective_from` (now or later: past
    sales keep the rules they were paid under). Raises ScheduleError with a message."""
    if effective_from < now:
        raise ScheduleError(_("A new schedule cannot start in the past."))
    if award.amount < 0:
        raise ScheduleError(_("The approval award cannot be negative."))
    validate(basis, tiers)
    taken = session.scalar(
        select(RoyaltySchedule.id).where(RoyaltySchedule.effective_from == effective_from)
    )
    if taken is not None:
        raise ScheduleError(_("A schedule already starts at that moment."))
    schedule = RoyaltySchedule(
        effective_from=effective_from,
        basis=basis,
        award=award,
        created_at=now,
        created_by_id=actor_id,
        tiers=[
            RoyaltyTier(first_unit=t.first_unit, rate=t.rate, per_unit_amount=t.per_unit)
            for t in tiers
        ],
    )
    session.add(schedule)
    session.flush()
    return schedule
