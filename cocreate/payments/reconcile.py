"""Reconciliation: apply the Stripe events whose webhook never arrived.

Stripe retries a failed delivery for three days, then gives up; its API lists the events of
the last thirty. `flask payments reconcile-stripe` lists the recent ones and applies each id
not stored yet through the webhook's own handler, oldest first, each in its own transaction:
running it twice (or while webhooks arrive) applies nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import stripe
from sqlalchemy.orm import Session

from cocreate.payments import webhooks
from cocreate.payments.shop_link import ShopEvents

#: Stripe keeps events listable for thirty days.
MAX_DAYS = 30
#: The types the handler acts on (Stripe's `types` filter takes at most 20).
TYPES = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
    "refund.created",
    "refund.updated",
]


@dataclass
class Report:
    listed: int = 0
    applied: int = 0
    already_stored: int = 0
    unreadable: int = 0


def recent_events(client: stripe.StripeClient, since: datetime) -> list[dict[str, Any]]:
    """Every event of the handled types created at or after `since`, oldest first."""
    page = client.v1.events.list(
        params={"created": {"gte": int(since.timestamp())}, "types": TYPES, "limit": 100}
    )
    events = [event.to_dict() for event in page.auto_paging_iter()]
    # Stripe lists newest first; apply in the order things happened.
    return sorted(events, key=_when)


def _when(event: dict[str, Any]) -> tuple[int, str]:
    created, event_id = event.get("created"), event.get("id")
    # An unreadable event sorts first (and is counted as such): a sort never fails on it.
    return (
        created if type(created) is int else 0,
        event_id if isinstance(event_id, str) else "",
    )


def reconcile(
    events: list[dict[str, Any]],
    *,
    transaction: Callable[[], AbstractContextManager[Session]],
    shop: ShopEvents,
    now: datetime,
) -> Report:
    """Store and apply each event not stored yet, one transaction (`transaction()`) each."""
    report = Report(listed=len(events))
    for payload in events:
        try:
            event = webhooks.envelope(payload)
        except webhooks.Rejected:
            report.unreadable += 1
            continue
        with transaction() as session:
            outcome = webhooks.handle(session, event, shop=shop, now=now, source="reconcile")
        if outcome is webhooks.Outcome.DUPLICATE:
            report.already_stored += 1
        else:
            report.applied += 1
    return report


def since(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
