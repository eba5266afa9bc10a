"""Signals the shop sends for the domains above it (royalties), which the shop cannot import."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent by `payment_events.refund_confirmed` once a refund is recorded done and the order's
#: state updated, in the caller's transaction; keywords `session`, `order`, `refund`, `at`.
refund_done = _signals.signal("cocreate.shop.refund_done")
