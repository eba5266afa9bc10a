"""Payouts: who is owed enough to be paid, a staff batch that pays them, and how a payout ends.

A batch pays each creator whose cleared balance reaches their threshold the whole of that
balance, at once in the ledger (creator_cleared → payouts_in_transit). A creator with a Stripe
account that can receive transfers is paid by a Stripe transfer, sent through the outbox after
the batch commits (payout_sender.py); the others wait for staff to pay them by bank transfer
and record its reference. Either way the payout then ends PAID (in transit → cash), or, for a
transfer Stripe refused, FAILED (in transit → creator_cleared: the balance is whole again, and
the next batch pays it afresh).

Two batches at once never pay a creator twice: each creator's PayoutAccount row is locked and
their cleared balance read again under the lock before anything is written, so the second
batch finds the balance already taken.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session, aliased

from cocreate.accounts.models import User
from cocreate.config import Config
from cocreate.core import db, jobs, outbox, spreadsheet
from cocreate.core.i18n import format_money
from cocreate.core.lifecycle import NotAllowed, TransitionTable, transition
from cocreate.core.money import Money
from cocreate.designs.models import Design
from cocreate.royalties import ledger
from cocreate.royalties.ledger import Leg
from cocreate.royalties.models import (
    ENTRY,
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
from cocreate.shop.models import Order, OrderLine

#: The outbox kind of a Stripe transfer to send (payload: {"payout_id": …}).
TRANSFER_KIND = "royalties.transfer"
#: Longest manual payment reference (the column's length).
MAX_REFERENCE = 255

TRANSITIONS: TransitionTable[PayoutState] = TransitionTable(
    PayoutState,
    {
        PayoutState.SENT: {PayoutState.PAID, PayoutState.FAILED},
        PayoutState.PAID: set(),
        PayoutState.FAILED: set(),
    },
)

THRESHOLD = PayoutAccount.__table__.c.threshold_amount


class PayoutError(ValueError):
    """A payout cannot be recorded as asked; `str()` is a message for staff."""


@dataclass(frozen=True, slots=True)
class Eligible:
    creator_id: int
    #: The whole cleared balance: what a batch run now would pay.
    cleared: Money
    #: Their threshold (never below the site minimum).
    threshold: Money


@dataclass(frozen=True, slots=True)
class Batch:
    number: str
    payouts: tuple[Payout, ...]

    def total(self, currency: str) -> Money:
        return Money.sum((payout.amount for payout in self.payouts), currency)


# -- thresholds ----------------------------------------------------------------------------------


def minimum(settings: Config) -> Money:
    return Money(settings.ROYALTY_PAYOUT_MINIMUM, settings.CURRENCY)


def _effective_threshold(settings: Config) -> ColumnElement[int]:
    """A creator's threshold in SQL: theirs, or the site minimum when they have none or the
    minimum was raised above it since they chose."""
    floor = settings.ROYALTY_PAYOUT_MINIMUM
    return case((func.coalesce(THRESHOLD, 0) < floor, floor), else_=THRESHOLD)


def threshold_of(account: PayoutAccount | None, settings: Config) -> Money:
    floor = minimum(settings)
    if account is None or account.threshold < floor:
        return floor
    return account.threshold


def set_threshold(
    session: Session, user: User, threshold: Money, *, settings: Config, now: datetime
) -> PayoutAccount:
    """Set a creator's threshold; PayoutError below the site minimum."""
    floor = minimum(settings)
    if threshold.currency != floor.currency or threshold < floor:
        raise PayoutError(
            _(
                "Your threshold cannot be below the site minimum of %(minimum)s.",
                minimum=format_money(floor),
            )
        )
    account = lock_account(session, user.id, settings=settings, now=now)
    account.threshold = threshold
    account.updated_at = now
    session.flush()
    return account


def lock_account(
    session: Session, user_id: int, *, settings: Config, now: datetime
) -> PayoutAccount:
    """The creator's PayoutAccount, made if missing (insert-or-ignore, so two batches at once
    do not both fail on its key), locked for the rest of the transaction."""
    statement = db.upsert_insert(session)(PayoutAccount).values(
        user_id=user_id,
        threshold_amount=settings.ROYALTY_PAYOUT_MINIMUM,
        threshold_currency=settings.CURRENCY,
        stripe_ready=False,
        updated_at=now,
    )
    session.execute(statement.on_conflict_do_nothing())
    return session.scalars(
        select(PayoutAccount)
        .where(PayoutAccount.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


# -- who is owed ---------------------------------------------------------------------------------


def eligible(session: Session, settings: Config) -> list[Eligible]:
    """Creators whose cleared balance reaches their threshold, by creator id: one aggregate
    over the cleared legs."""
    cleared = func.sum(ENTRY.amount_amount)
    threshold = _effective_threshold(settings)
    rows = session.execute(
        select(LedgerEntry.creator_id, cleared, threshold)
        .outerjoin(PayoutAccount, PayoutAccount.user_id == LedgerEntry.creator_id)
        .where(
            LedgerEntry.account == Account.CREATOR_CLEARED,
            ENTRY.amount_currency == settings.CURRENCY,
        )
        .group_by(LedgerEntry.creator_id, THRESHOLD)
        .having(cleared >= threshold)
        .order_by(LedgerEntry.creator_id)
    ).all()
    return [
        Eligible(
            creator_id=creator_id,
            cleared=Money(int(total), settings.CURRENCY),
            threshold=Money(int(floor), settings.CURRENCY),
        )
        for creator_id, total, floor in rows
    ]


# -- a batch -------------------------------------------------------------------------------------


def batch_number(now: datetime) -> str:
    """ "20260302-0900-3fa1": when it ran, and a random part so two runs in one minute differ."""
    return f"{now:%Y%m%d-%H%M}-{secrets.token_hex(2)}"


def run_batch(session: Session, *, actor: User, now: datetime, settings: Config) -> Batch:
    """Pay every eligible creator their whole cleared balance (staff only). Flushes; Stripe
    transfers are queued in the outbox and sent once the caller's transaction commits."""
    if not actor.is_staff:
        raise NotAllowed(_("Only staff can run payouts."))
    number = batch_number(now)
    # A creator who connected Stripe is paid by bank transfer while the shop runs without it.
    stripe_on = settings.PAYMENT_GATEWAY == "stripe"
    made: list[Payout] = []
    messages: list[int] = []
    for candidate in eligible(session, settings):
        account = lock_account(session, candidate.creator_id, settings=settings, now=now)
        # Read again under the lock: another batch may have paid this creator meanwhile.
        cleared = ledger.balance(session, candidate.creator_id, settings.CURRENCY).cleared
        if cleared < threshold_of(account, settings):
            continue
        method = PayoutMethod.STRIPE if stripe_on and account.stripe_ready else PayoutMethod.MANUAL
        payout = Payout(
            creator_id=candidate.creator_id,
            batch=number,
            amount=cleared,
            method=method,
            state=PayoutState.SENT,
            created_by_id=actor.id,
            created_at=now,
        )
        session.add(payout)
        session.flush()
        ledger.post(
            session,
            kind=Kind.PAYOUT,
            creator_id=candidate.creator_id,
            currency=cleared.currency,
            legs=[
                Leg(Account.CREATOR_CLEARED, -cleared.amount),
                Leg(Account.PAYOUTS_IN_TRANSIT, cleared.amount),
            ],
            at=now,
            payout_id=payout.id,
            actor_id=actor.id,
            memo=f"payout {number}",
        )
        if method is PayoutMethod.STRIPE:
            message = outbox.add(session, TRANSFER_KIND, {"payout_id": payout.id}, now=now)
            messages.append(message.id)
        made.append(payout)
    if messages:
        jobs.deliver_after_commit(messages)
    return Batch(number=number, payouts=tuple(made))


# -- how a payout ends ---------------------------------------------------------------------------


def _refused(state: PayoutState) -> str:
    return _("This payout is already %(state)s.", state=state_label(state))


def _move(
    session: Session,
    payout: Payout,
    to: PayoutState,
    *,
    legs: Sequence[Leg],
    actor_id: int | None,
    at: datetime,
    reason: str = "",
) -> None:
    transition(
        session,
        payout,
        to,
        table=TRANSITIONS,
        audit_model=PayoutTransition,
        actor_id=actor_id,
        at=at,
        message=_refused,
        reason=reason,
    )
    ledger.post(
        session,
        kind=Kind.PAYOUT,
        creator_id=payout.creator_id,
        currency=payout.amount.currency,
        legs=legs,
        at=at,
        payout_id=payout.id,
        actor_id=actor_id,
        memo=reason,
    )


def _arrived(payout: Payout) -> list[Leg]:
    return [
        Leg(Account.PAYOUTS_IN_TRANSIT, -payout.amount.amount),
        Leg(Account.CASH, payout.amount.amount),
    ]


def record_manual(
    session: Session, payout: Payout, reference: str, actor: User, at: datetime
) -> None:
    """Staff paid a manual payout by bank transfer: PAID with its reference."""
    if not actor.is_staff:
        raise NotAllowed(_("Only staff can record payments."))
    reference = reference.strip()
    if not reference:
        raise PayoutError(_("Please enter the bank transfer's reference."))
    if len(reference) > MAX_REFERENCE:
        raise PayoutError(_("The reference is too long."))
    if payout.method is not PayoutMethod.MANUAL:
        raise PayoutError(_("This payout is a Stripe transfer: Stripe records it."))
    _move(
        session,
        payout,
        PayoutState.PAID,
        legs=_arrived(payout),
        actor_id=actor.id,
        at=at,
        reason=reference,
    )
    payout.reference = reference
    payout.settled_at = at
    session.flush()


def transfer_succeeded(session: Session, payout: Payout, transfer_id: str, at: datetime) -> None:
    """Stripe made the transfer: PAID, its id as the reference."""
    _move(session, payout, PayoutState.PAID, legs=_arrived(payout), actor_id=None, at=at)
    payout.reference = transfer_id
    payout.settled_at = at
    session.flush()


def transfer_failed(session: Session, payout: Payout, message: str, at: datetime) -> None:
    """Stripe refused the transfer: FAILED, the amount back in the creator's cleared balance."""
    restored = [
        Leg(Account.PAYOUTS_IN_TRANSIT, -payout.amount.amount),
        Leg(Account.CREATOR_CLEARED, payout.amount.amount),
    ]
    _move(
        session,
        payout,
        PayoutState.FAILED,
        legs=restored,
        actor_id=None,
        at=at,
        reason=message,
    )
    payout.failure = message
    payout.settled_at = at
    session.flush()


# -- labels --------------------------------------------------------------------------------------


def state_label(state: PayoutState) -> str:
    labels = {
        PayoutState.SENT: _("sent"),
        PayoutState.PAID: _("paid"),
        PayoutState.FAILED: _("failed"),
    }
    return labels[state]


def method_label(method: PayoutMethod) -> str:
    labels = {
        PayoutMethod.STRIPE: _("Stripe transfer"),
        PayoutMethod.MANUAL: _("bank transfer by staff"),
    }
    return labels[method]


# -- what a payout covers ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CoverLine:
    """One ledger transaction that moved the creator's cleared balance before a payout."""

    at: datetime | None
    kind: str
    order_number: str
    design: str
    units: int | None
    description: str
    amount: Money


def _window(session: Session, payout: Payout) -> tuple[int, int]:
    """The ledger transaction ids (start, end), both excluded, of what `payout` pays: after the
    sending of the creator's previous payout that did not fail, up to its own sending."""

    def sent(payout_id: int) -> int | None:
        return session.scalar(
            select(func.min(LedgerTransaction.id)).where(
                LedgerTransaction.kind == Kind.PAYOUT, LedgerTransaction.payout_id == payout_id
            )
        )

    end = sent(payout.id)
    previous = session.scalar(
        select(func.max(Payout.id)).where(
            Payout.creator_id == payout.creator_id,
            Payout.id < payout.id,
            Payout.state != PayoutState.FAILED,
        )
    )
    start = 0
    if previous is not None:
        start = sent(previous) or 0
    return start, end or 0


def _description(kind: Kind, memo: str, amount: int, payout_id: int | None) -> str:
    if kind is Kind.PAYOUT:
        if amount > 0:
            return _("payout %(id)d returned after a failed transfer", id=payout_id or 0)
        return _("payout %(id)d sent", id=payout_id or 0)
    return memo if kind is Kind.ADJUSTMENT else ""


def kind_label(kind: Kind) -> str:
    labels = {
        Kind.ACCRUAL: _("accrual"),
        Kind.REVERSAL: _("reversal"),
        Kind.AWARD: _("award"),
        Kind.ADJUSTMENT: _("adjustment"),
        Kind.CLEARING: _("clearing"),
        Kind.PAYOUT: _("payout"),
    }
    return labels[kind]


def covers(session: Session, payout: Payout) -> list[CoverLine]:
    """What `payout` pays, line by line: the clearings (with their order, design and units),
    awards, adjustments (with their reason) and reversals that moved the creator's cleared
    balance since their previous payout; then a "carried over" line for any balance from
    before, so the lines always add up to the payout."""
    start, end = _window(session, payout)
    accrual = aliased(LedgerTransaction)
    T = LedgerTransaction
    amount = func.sum(ENTRY.amount_amount)
    units = func.coalesce(T.units, accrual.units)
    rows = session.execute(
        select(T.kind, T.occurred_at, T.memo, T.payout_id, Order.number, Design.title)
        .add_columns(units.label("units"), amount.label("amount"))
        .join(LedgerEntry, LedgerEntry.transaction_id == T.id)
        .outerjoin(accrual, accrual.id == T.related_id)
        .outerjoin(OrderLine, OrderLine.id == func.coalesce(T.order_line_id, accrual.order_line_id))
        .outerjoin(Order, Order.id == OrderLine.order_id)
        .outerjoin(Design, Design.id == func.coalesce(T.design_id, accrual.design_id))
        .where(
            LedgerEntry.creator_id == payout.creator_id,
            LedgerEntry.account == Account.CREATOR_CLEARED,
            T.id > start,
            T.id < end,
        )
        .group_by(T.id, T.kind, T.occurred_at, T.memo, T.payout_id, Order.number, Design.title)
        .group_by(units)
        .having(amount != 0)
        .order_by(T.id)
    ).all()
    currency = payout.amount.currency
    lines = [
        CoverLine(
            at=row.occurred_at,
            kind=kind_label(Kind(row.kind)),
            order_number=row.number or "",
            design=row.title or "",
            units=row.units,
            description=_description(Kind(row.kind), row.memo, int(row.amount), row.payout_id),
            amount=Money(int(row.amount), currency),
        )
        for row in rows
    ]
    carried = payout.amount - Money.sum((line.amount for line in lines), currency)
    if not carried.is_zero():
        lines.append(
            CoverLine(
                at=None,
                kind=_("carried over"),
                order_number="",
                design="",
                units=None,
                description=_("the cleared balance before these lines"),
                amount=carried,
            )
        )
    return lines


def covers_csv(payout: Payout, lines: Sequence[CoverLine]) -> str:
    """The CSV of `covers`: one row per line, then the total, equal to the payout."""
    text = io.StringIO()
    writer = spreadsheet.writer(text)
    writer.writerow(
        [_("Date"), _("Kind"), _("Order"), _("Design"), _("Units"), _("Details"), _("Amount")]
    )
    for line in lines:
        writer.writerow(
            [
                line.at.date().isoformat() if line.at else "",
                line.kind,
                line.order_number,
                line.design,
                "" if line.units is None else line.units,
                line.description,
                line.amount.to_decimal(),
            ]
        )
    total = Money.sum((line.amount for line in lines), payout.amount.currency)
    writer.writerow(["", _("Total"), "", "", "", payout.amount.currency, total.to_decimal()])
    return text.getvalue()


# -- the staff pages' read side ------------------------------------------------------------------

#: Batches listed on the staff page, newest first.
RECENT_BATCHES = 20


@dataclass(frozen=True, slots=True)
class BatchSummary:
    number: str
    at: datetime
    payouts: list[Payout]

    @property
    def total(self) -> Money:
        return Money.sum((p.amount for p in self.payouts), self.payouts[0].amount.currency)


def recent_batches(session: Session, limit: int = RECENT_BATCHES) -> list[BatchSummary]:
    """The latest batches with their payouts (failed ones included), newest first."""
    started = func.min(Payout.created_at)
    numbers = session.execute(
        select(Payout.batch, started)
        .group_by(Payout.batch)
        .order_by(started.desc(), Payout.batch.desc())
        .limit(limit)
    ).all()
    rows = session.scalars(
        select(Payout).where(Payout.batch.in_([n for n, _at in numbers])).order_by(Payout.id)
    ).all()
    by_batch: dict[str, list[Payout]] = {}
    for payout in rows:
        by_batch.setdefault(payout.batch, []).append(payout)
    return [BatchSummary(number, at, by_batch[number]) for number, at in numbers]


def batch_payouts(session: Session, batch: str) -> list[Payout]:
    return list(session.scalars(select(Payout).where(Payout.batch == batch).order_by(Payout.id)))


def history(session: Session, payout: Payout) -> list[PayoutTransition]:
    return list(
        session.scalars(
            select(PayoutTransition)
            .where(PayoutTransition.payout_id == payout.id)
            .order_by(PayoutTransition.id)
        )
    )


def creator_payouts(session: Session, creator_id: int) -> list[Payout]:
    return list(
        session.scalars(
            select(Payout)
            .where(Payout.creator_id == creator_id)
            .order_by(Payout.created_at.desc(), Payout.id.desc())
        )
    )


def names(session: Session, ids: Collection[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


def stripe_ready_ids(session: Session, creator_ids: Sequence[int]) -> set[int]:
    if not creator_ids:
        return set()
    return set(
        session.scalars(
            select(PayoutAccount.user_id).where(
                PayoutAccount.user_id.in_(list(creator_ids)), PayoutAccount.stripe_ready.is_(True)
            )
        )
    )
