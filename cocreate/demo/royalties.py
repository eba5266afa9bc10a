"""Demo royalties: the ledger the demo orders would have written, month by month.

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

from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import Config
from cocreate.royalties import accruals, clearing, ledger, payouts, periods
from cocreate.shop.models import Order, RefundState

#: The instant before a month ends: its clearings, payouts and the close happen then.
_JUST_BEFORE = timedelta(seconds=1)


def _events(orders: Sequence[Order]) -> list[tuple[datetime, int, Order]]:
    """(when, 0 paid / 1 refunded, order), oldest first."""
    events: list[tuple[datetime, int, Order]] = []
    for order in orders:
        if order.paid_at is None:
            continue
        events.append((order.paid_at, 0, order))
        done = [r.done_at for r in order.refunds if r.state is RefundState.DONE and r.done_at]
        if done:
            events.append((max(done), 1, order))
    return sorted(events, key=lambda event: (event[0], event[1], event[2].id))


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
    events = _events(orders)
    if not events:
        return
    current = ledger.period_of(now)
    month = ledger.period_of(events[0][0])
    for at, kind, order in events:
        while ledger.period_of(at) != month:
            _end_of_month(session, month, staff, config)
            month = ledger.next_period(month)
        if kind == 0:
            accruals.accrue_order(session, order, at=at, settings=config)
        else:
            accruals.reverse_refunds(session, order, at=at)
    while month != current:
        _end_of_month(session, month, staff, config)
        month = ledger.next_period(month)
    clearing.clear_due(session, now=now, settings=config)
