"""Demo royalties: the ledger the demo orders would have written, month by month.

The demo's rules are the default tiers plus a 20.00 award when a design is approved (saved
as a schedule version from the first approval), so every designer with an approved design has
statements.

The demo orders are seeded with their history already dated (cocreate/demo/shop.py), without
going through the payment events, so nothing accrued as they were "paid". Here time is
replayed in order: each order accrues when it was paid and reverses what was refunded when the
refund was done, earnings clear at the end of each month once the return window has passed,
every month that has ended is closed with its statements, and staff pay the creators above
their threshold by bank transfer before each close. The same services run as in the live
shop, so the statements, the dashboard and `flask royalties verify` agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import Config
from cocreate.core.money import Money
from cocreate.designs.models import Design, DesignState, DesignTransition
from cocreate.royalties import accruals, clearing, ledger, payouts, periods, rules
from cocreate.royalties.models import ScheduleBasis
from cocreate.shop.models import Order, RefundState

#: The instant before a month ends: its clearings, payouts and the close happen then.
_JUST_BEFORE = timedelta(seconds=1)


#: What the demo's rules credit when a design is approved (minor units of CURRENCY).
APPROVAL_AWARD = 2000
PAID, REFUNDED, APPROVED = 0, 1, -1
Event = tuple[datetime, int, Order | Design]


def _approvals(session: Session) -> list[Event]:
    rows = session.execute(
        select(DesignTransition.created_at, Design)
        .join(Design, Design.id == DesignTransition.design_id)
        .where(DesignTransition.to_state == DesignState.APPROVED)
    ).all()
    return [(at, APPROVED, design) for at, design in rows]


def _events(session: Session, orders: Sequence[Order]) -> list[Event]:
    """(when, what, the order or design), oldest first."""
    events = _approvals(session)
    for order in orders:
        if order.paid_at is None:
            continue
        events.append((order.paid_at, PAID, order))
        done = [r.done_at for r in order.refunds if r.state is RefundState.DONE and r.done_at]
        if done:
            events.append((max(done), REFUNDED, order))
    return sorted(events, key=lambda event: (event[0], event[1], event[2].id))


def _save_rules(session: Session, start: datetime, staff: User, config: Config) -> None:
    tiers = [rules.Tier(int(first), rate, None) for first, rate in config.ROYALTY_TIERS.items()]
    rules.save_schedule(
        session,
        effective_from=start,
        basis=ScheduleBasis.PERCENT,
        tiers=sorted(tiers, key=lambda tier: tier.first_unit),
        award=Money(APPROVAL_AWARD, config.CURRENCY),
        actor_id=staff.id,
        now=start,
    )


def _end_of_month(session: Session, period: str, staff: User, config: Config) -> None:
    end = ledger.period_bounds(period)[1]
    at = end - _JUST_BEFORE
    clearing.clear_due(session, now=at, settings=config)
    batch = payouts.run_batch(session, actor=staff, now=at, settings=config)
    for number, payout in enumerate(batch.payouts, start=1):
        reference = f"DEMO-SEPA-{period.replace('-', '')}-{number:03d}"
        payouts.record_manual(session, payout, reference, staff, at)
    periods.close_period(session, period, actor_id=staff.id, now=end)


def seed_royalties(
    session: Session, orders: Sequence[Order], staff: User, config: Config, now: datetime
) -> None:
    """Accruals, reversals, clearings, payouts and closed statements for the demo orders, up to
    `now`; the current month stays open."""
    events = _events(session, orders)
    if not events:
        return
    _save_rules(session, events[0][0], staff, config)
    current = ledger.period_of(now)
    month = ledger.period_of(events[0][0])
    for at, kind, subject in events:
        while ledger.period_of(at) != month:
            _end_of_month(session, month, staff, config)
            month = ledger.next_period(month)
        if isinstance(subject, Design):
            accruals.award_design(session, subject, at=at, settings=config)
        elif kind == PAID:
            accruals.accrue_order(session, subject, at=at, settings=config)
        else:
            accruals.reverse_refunds(session, subject, at=at)
    while month != current:
        _end_of_month(session, month, staff, config)
        month = ledger.next_period(month)
    clearing.clear_due(session, now=now, settings=config)
