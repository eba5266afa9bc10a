"""Stripe events: verified, stored by id, then applied to the shop's orders.

Stripe signs each delivery (`Stripe-Signature: t=<unix time>,v1=<hex>`, the HMAC-SHA256 of
"<t>.<raw body>" under the endpoint's secret); it neither orders nor de-duplicates deliveries,
and retries a failed one for three days. So:

1. `verify` checks the signature on the raw bytes, and the timestamp against our clock (a
   captured delivery replayed later is refused). Any failure is `Rejected`: the view answers 400.
2. `parse` reads the event's envelope; a signed body that is not an event is `Rejected` too.
3. `record` stores it by id. An id already stored is a duplicate: nothing more happens.
4. `apply` dispatches by type inside a savepoint. An event whose object lacks what its type
   needs is kept as "malformed"; one the shop refuses (InvalidTransition) as "refused": neither
   is an error Stripe should retry. Anything else propagates: the request answers 500, its
   transaction (the stored event included) rolls back, and Stripe's retry starts afresh.

Order states drive what applies, whatever order the events come in: only a pending order is
failed or expired (an "expired" arriving after "completed" changes nothing), and a refund
whose payment has not been applied yet waits (stored, unprocessed) and is applied right after
that payment is.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocreate.core.lifecycle import InvalidTransition
from cocreate.core.money import Money
from cocreate.payments.models import StripeEvent
from cocreate.payments.shop_link import PENDING_PAYMENT, PayableOrder, ShopEvents

log = logging.getLogger(__name__)

#: How far a delivery's signed timestamp may be from our clock, in seconds (Stripe's libraries
#: use five minutes).
TOLERANCE_SECONDS = 300


class Rejected(Exception):
    """The delivery is not a genuine, current Stripe event: answered 400."""


class Malformed(Exception):
    """A genuine event whose object lacks what its type needs."""


class Outcome(StrEnum):
    APPLIED = "applied"
    #: Already seen: the id was stored before.
    DUPLICATE = "duplicate"
    #: A type we do not act on.
    IGNORED = "ignored"
    #: Nothing to do: the order is already past it, or the refund is not settled.
    NO_CHANGE = "no change"
    UNKNOWN_ORDER = "unknown order"
    #: Checkout completed with a delayed payment method: the async events decide.
    AWAITING_PAYMENT = "awaiting payment"
    #: A refund for a payment not applied yet: kept unprocessed until it is.
    WAITING = "waiting"
    MALFORMED = "malformed"
    REFUSED = "refused"


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    created: datetime
    #: `data.object`: the checkout session, charge or refund the event is about.
    object: dict[str, Any]
    payload: dict[str, Any]


# --- 1. Signature ------------------------------------------------------------------------------


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """The v1 signature Stripe sends for `body` signed at `timestamp` (as written in the header)."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, *, secret: str, now: datetime) -> None:
    """Refuse (Rejected) unless `header` signs `body` with `secret`, dated within
    TOLERANCE_SECONDS of `now`."""
    if not secret or not header:
        raise Rejected("missing signature")
    timestamp = ""
    candidates = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            candidates.append(value)
    # A Unix time in seconds has 10 digits until the year 2286; a longer one is garbage (and
    # int() refuses strings past 4300 digits with a ValueError).
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise Rejected("malformed signature header")
    if not candidates:
        raise Rejected("no v1 signature")
    expected = signature(secret, timestamp, body)
    # Several v1 values while a secret is being rolled: one matching is enough.
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise Rejected("bad signature")
    if abs(int(now.timestamp()) - int(timestamp)) > TOLERANCE_SECONDS:
        raise Rejected("signature timestamp outside the tolerance")


# --- 2. Envelope --------------------------------------------------------------------------------


def parse(body: bytes) -> Event:
    try:
        payload = json.loads(body)
    # UnicodeDecodeError and JSONDecodeError are ValueErrors; nesting thousands of brackets
    # deep exhausts the parser's recursion.
    except (ValueError, RecursionError):
        raise Rejected("not JSON") from None
    return envelope(payload)


def envelope(payload: object) -> Event:
    """The event in a decoded payload (a webhook's body, or an event listed by the API)."""
    if not isinstance(payload, dict):
        raise Rejected("not an event")
    event_id, kind, created = payload.get("id"), payload.get("type"), payload.get("created")
    data = payload.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not (isinstance(event_id, str) and 0 < len(event_id) <= 255):
        raise Rejected("no event id")
    if not (isinstance(kind, str) and 0 < len(kind) <= 100):
        raise Rejected("no event type")
    if type(created) is not int or not isinstance(obj, dict):
        raise Rejected("no creation time or object")
    try:
        at = datetime.fromtimestamp(created, UTC)
    except (OverflowError, OSError, ValueError):
        raise Rejected("creation time out of range") from None
    return Event(id=event_id, type=kind, created=at, object=obj, payload=payload)


# --- 3. Storage ---------------------------------------------------------------------------------


def record(session: Session, event: Event, *, now: datetime, source: str) -> StripeEvent | None:
    """Store `event`; None if its id is already stored (a repeat delivery)."""
    if session.get(StripeEvent, event.id) is not None:
        return None
    intent = event.object.get("payment_intent")
    row = StripeEvent(
        id=event.id,
        type=event.type,
        created=event.created,
        payload=event.payload,
        payment_intent=intent if isinstance(intent, str) else None,
        source=source,
        received_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # A concurrent delivery of the same id stored it first (PostgreSQL makes this insert
        # wait for that transaction, then refuses it): that one applies it.
        return None
    return row


def verified_event(body: bytes, header: str | None, *, secret: str, now: datetime) -> Event:
    """The event a webhook delivery carries, once its signature is verified. Raises Rejected."""
    verify(body, header, secret=secret, now=now)
    return parse(body)


def handle(
    session: Session, event: Event, *, shop: ShopEvents, now: datetime, source: str = "webhook"
) -> Outcome:
    """Store `event` and apply it, unless its id was stored before."""
    row = record(session, event, now=now, source=source)
    if row is None:
        return Outcome.DUPLICATE
    return apply(session, row, event, shop=shop, now=now)


# --- 4. Dispatch --------------------------------------------------------------------------------


def apply(
    session: Session, row: StripeEvent, event: Event, *, shop: ShopEvents, now: datetime
) -> Outcome:
    """Apply a stored event to the shop and note the outcome on its row. The savepoint undoes
    what a malformed or refused event half did, and keeps the row."""
    try:
        with session.begin_nested():
            outcome = _dispatch(session, row, event, shop, now)
    except Malformed as exc:
        log.warning("Stripe event %s (%s) is malformed: %s", event.id, event.type, exc)
        outcome = Outcome.MALFORMED
    except InvalidTransition as exc:
        log.warning("Stripe event %s (%s) refused by the shop: %s", event.id, event.type, exc)
        outcome = Outcome.REFUSED
    row.outcome = outcome
    row.processed_at = None if outcome is Outcome.WAITING else now
    session.flush()
    return outcome


def _dispatch(
    session: Session, row: StripeEvent, event: Event, shop: ShopEvents, now: datetime
) -> Outcome:
    obj = event.object
    match event.type:
        case "checkout.session.completed":
            return _checkout(session, row, obj, shop, now, _completed)
        case "checkout.session.async_payment_succeeded":
            return _checkout(session, row, obj, shop, now, _paid)
        case "checkout.session.async_payment_failed":
            return _checkout(session, row, obj, shop, now, _failed)
        case "checkout.session.expired":
            return _checkout(session, row, obj, shop, now, _expired)
        case "refund.created" | "refund.updated":
            return _confirm_refund(session, row, obj, shop, now)
        case "charge.refunded":
            return _charge_refunded(session, row, obj, shop, now)
        case _:
            return Outcome.IGNORED


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not (isinstance(value, str) and value):
        raise Malformed(f"{key} is missing")
    return value


def _money(obj: dict[str, Any], key: str) -> Money:
    amount, currency = obj.get(key), obj.get("currency")
    if type(amount) is not int or amount < 0 or not isinstance(currency, str):
        raise Malformed(f"{key} or currency is missing")
    try:
        return Money(amount, currency.upper())  # Stripe writes currencies in lower case
    except ValueError:
        raise Malformed(f"unknown currency {currency!r}") from None


Handler = Callable[[Session, dict[str, Any], PayableOrder, ShopEvents, datetime], Outcome]


def _checkout(
    session: Session,
    row: StripeEvent,
    obj: dict[str, Any],
    shop: ShopEvents,
    now: datetime,
    handler: Handler,
) -> Outcome:
    order = shop.order_for_checkout(session, _text(obj, "id"))
    if order is None:
        log.info("Stripe checkout %s matches no order", obj["id"])
        return Outcome.UNKNOWN_ORDER
    row.order_number = order.number
    return handler(session, obj, order, shop, now)


def _completed(
    session: Session, obj: dict[str, Any], order: PayableOrder, shop: ShopEvents, now: datetime
) -> Outcome:
    match obj.get("payment_status"):
        case "paid":
            return _paid(session, obj, order, shop, now)
        case "unpaid":
            return Outcome.AWAITING_PAYMENT
        case str():
            return Outcome.NO_CHANGE  # "no_payment_required": the shop never sells for free
        case _:
            raise Malformed("payment_status is missing")


def _paid(
    session: Session, obj: dict[str, Any], order: PayableOrder, shop: ShopEvents, now: datetime
) -> Outcome:
    intent = _text(obj, "payment_intent")
    amount = _money(obj, "amount_total")
    if order.payment_reference == intent:
        return Outcome.NO_CHANGE
    # Also after expiry: the shop decides (re-reserve, or refund automatically).
    shop.payment_succeeded(session, order, payment_reference=intent, amount=amount, at=now)
    _apply_waiting_refunds(session, intent, shop, now)
    return Outcome.APPLIED


def _failed(
    session: Session, obj: dict[str, Any], order: PayableOrder, shop: ShopEvents, now: datetime
) -> Outcome:
    if order.state != PENDING_PAYMENT:
        return Outcome.NO_CHANGE
    shop.payment_failed(session, order, at=now)
    return Outcome.APPLIED


def _expired(
    session: Session, obj: dict[str, Any], order: PayableOrder, shop: ShopEvents, now: datetime
) -> Outcome:
    if order.state != PENDING_PAYMENT:
        return Outcome.NO_CHANGE  # paid meanwhile (events out of order) or already cancelled
    shop.checkout_expired(session, order, at=now)
    return Outcome.APPLIED


# --- Refunds -----------------------------------------------------------------------------------


def _order_paid_by(session: Session, intent: str, shop: ShopEvents) -> PayableOrder | None:
    """The order a payment intent paid, found through the checkout event that applied it."""
    # Only a checkout event gets its order number before a refund of the same payment can be
    # applied, and every event of one payment intent belongs to the same order.
    number = session.scalars(
        select(StripeEvent.order_number).where(
            StripeEvent.payment_intent == intent, StripeEvent.order_number.is_not(None)
        )
    ).first()
    return None if number is None else shop.order_by_number(session, number)


def _confirm_refund(
    session: Session, row: StripeEvent, refund: dict[str, Any], shop: ShopEvents, now: datetime
) -> Outcome:
    refund_id = _text(refund, "id")
    if refund.get("status") != "succeeded":
        return Outcome.NO_CHANGE  # pending, failed or cancelled: nothing was given back yet
    amount = _money(refund, "amount")
    order = _order_paid_by(session, _text(refund, "payment_intent"), shop)
    if order is None or order.state == PENDING_PAYMENT:
        return Outcome.WAITING
    row.order_number = order.number
    shop.refund_confirmed(session, order, refund_reference=refund_id, amount=amount, at=now)
    return Outcome.APPLIED


def _charge_refunded(
    session: Session, row: StripeEvent, obj: dict[str, Any], shop: ShopEvents, now: datetime
) -> Outcome:
    # Older API versions list the charge's refunds in it; newer ones leave them out, and the
    # refund.* events carry them instead.
    refunds = obj.get("refunds")
    listed = refunds.get("data") if isinstance(refunds, dict) else None
    if not isinstance(listed, list):
        return Outcome.NO_CHANGE
    outcomes = set()
    for refund in listed:
        if not isinstance(refund, dict):
            raise Malformed("a refund is not an object")
        outcomes.add(_confirm_refund(session, row, refund, shop, now))
    for outcome in (Outcome.WAITING, Outcome.APPLIED):
        if outcome in outcomes:
            return outcome
    return Outcome.NO_CHANGE


def _apply_waiting_refunds(session: Session, intent: str, shop: ShopEvents, now: datetime) -> None:
    """Refund events that came before their payment: apply them now that it is applied."""
    waiting = session.scalars(
        select(StripeEvent)
        .where(StripeEvent.payment_intent == intent, StripeEvent.outcome == Outcome.WAITING)
        .order_by(StripeEvent.created, StripeEvent.id)
    ).all()
    for row in waiting:
        apply(session, row, envelope(row.payload), shop=shop, now=now)
