"""What creators earn from the shop: an accrual when an order line is paid, reversals when its
units are refunded, and the award when a design is approved.

Connected to the shop and designs through signals (royalties sits above them; they never
import it): see `cocreate.royalties.init_app`. Every function here is idempotent, so a signal
delivered twice, or a reconciler run after the fact, writes nothing more.

Reversals go last in, first out: the last units of a line sold are refunded first, in their
own tier. A piece's reversed amount is cumulative and proportional, rounded once each time:
having reversed `k` of its `n` units, `round(amount × k / n)` is taken back in all, so
reversing every unit gives back exactly the piece.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.config import Config, settings
from cocreate.core.money import Money, round_minor
from cocreate.designs.models import Design, DesignState
from cocreate.royalties import ledger, rules
from cocreate.royalties.ledger import Leg
from cocreate.royalties.models import (
    Account,
    AccrualPiece,
    Kind,
    LedgerTransaction,
)
from cocreate.shop.models import Order, OrderLine, OrderState, Refund, RefundState


def accrual_of(session: Session, order_line_id: int) -> LedgerTransaction | None:
    return session.scalars(
        select(LedgerTransaction).where(
            LedgerTransaction.kind == Kind.ACCRUAL, LedgerTransaction.order_line_id == order_line_id
        )
    ).first()


def _accruals(
    session: Session, order: Order, *, lock: bool = False
) -> dict[int, LedgerTransaction]:
    """The order's accruals by order line id; `lock` holds their rows (in id order) so that
    clearing, which locks them too, cannot move one to cleared while it is being reversed."""
    query = (
        select(LedgerTransaction)
        .where(
            LedgerTransaction.kind == Kind.ACCRUAL,
            LedgerTransaction.order_line_id.in_([line.id for line in order.lines]),
        )
        .order_by(LedgerTransaction.id)
    )
    rows = session.scalars(query.with_for_update() if lock else query)
    return {row.order_line_id: row for row in rows if row.order_line_id is not None}


def _royalty_legs(account: Account, amount: int) -> list[Leg]:
    """The creator's account +amount against royalty expense; none for a zero royalty."""
    if amount == 0:
        return []
    return [Leg(account, amount), Leg(Account.ROYALTY_EXPENSE, -amount)]


def accrue_order(
    session: Session, order: Order, *, at: datetime, settings: Config
) -> list[LedgerTransaction]:
    """One accrual per line of the paid order, under the rules in force at `at`: the
    creator's pending earnings +X against royalty expense. Lines that accrued already are
    left alone. Returns the order's accruals, one per line."""
    done = _accruals(session, order)
    todo = [line for line in order.lines if line.id not in done]
    if not todo:
        return [done[line.id] for line in order.lines]
    in_force = rules.rules_at(session, at, settings)
    # Units are claimed design by design in id order: two orders of the same designs lock
    # their counters in the same order.
    for line in sorted(todo, key=lambda line: (line.design_id, line.id)):
        first = rules.claim_units(session, line.design_id, line.quantity)
        pieces = rules.price_pieces(in_force, first, line.quantity, line.net)
        amount = sum(piece.amount.amount for piece in pieces)
        done[line.id] = ledger.post(
            session,
            kind=Kind.ACCRUAL,
            creator_id=line.designer_id,
            currency=line.net.currency,
            legs=_royalty_legs(Account.CREATOR_PENDING, amount),
            at=at,
            pieces=pieces,
            order_line_id=line.id,
            design_id=line.design_id,
            schedule_id=in_force.schedule_id,
            units=line.quantity,
            memo=line.title,
        )
    return [done[line.id] for line in order.lines]


# -- reversals -------------------------------------------------------------------------------------


def units_to_reverse(order: Order, line: OrderLine) -> int:
    """Units of the line whose royalty goes back: all of them once the order is refunded,
    else those of its refunds the gateway confirmed."""
    if order.state is OrderState.REFUNDED:
        return line.quantity
    return sum(
        part.quantity
        for refund in order.refunds
        if refund.state is RefundState.DONE
        for part in refund.lines
        if part.order_line_id == line.id
    )


def _refund_for(order: Order, line: OrderLine) -> Refund | None:
    """The confirmed refund that gave the line's units back (the latest), else the order's
    latest confirmed refund (a whole refund at the provider has no lines)."""
    done = [r for r in order.refunds if r.state is RefundState.DONE]
    with_line = [r for r in done if any(p.order_line_id == line.id for p in r.lines)]
    found = with_line or done
    return found[-1] if found else None


def _reversed_by_piece(session: Session, accrual_ids: list[int]) -> dict[int, int]:
    """Units reversed so far of each accrual piece."""
    reversed_units = (
        select(AccrualPiece.reverses_id, func.sum(AccrualPiece.units))
        .join(LedgerTransaction, LedgerTransaction.id == AccrualPiece.transaction_id)
        .where(
            LedgerTransaction.kind == Kind.REVERSAL,
            LedgerTransaction.related_id.in_(accrual_ids),
        )
        .group_by(AccrualPiece.reverses_id)
    )
    return {
        piece_id: int(units)
        for piece_id, units in session.execute(reversed_units)
        if piece_id is not None
    }


def _cleared(session: Session, accrual_ids: list[int]) -> set[int]:
    return set(
        session.scalars(
            select(LedgerTransaction.related_id).where(
                LedgerTransaction.kind == Kind.CLEARING,
                LedgerTransaction.related_id.in_(accrual_ids),
            )
        )
    )


def _cumulative(total: Money, units: int, done: int) -> Money:
    """What `done` of `units` units of `total` are worth: round(total × done / units)."""
    return Money(round_minor(Fraction(total.amount * done, units)), total.currency)


def take_back(piece: AccrualPiece, already: int, units: int) -> AccrualPiece:
    """The reversal piece for `units` more units of `piece`, of which `already` are reversed:
    the last units of the piece not yet reversed."""
    before, after = already, already + units
    return AccrualPiece(
        tier=piece.tier,
        first_unit=piece.first_unit + piece.units - after,
        units=units,
        rate=piece.rate,
        per_unit_amount=piece.per_unit_amount,
        net_base=_cumulative(piece.net_base, piece.units, after)
        - _cumulative(piece.net_base, piece.units, before),
        amount=_cumulative(piece.amount, piece.units, after)
        - _cumulative(piece.amount, piece.units, before),
        reverses_id=piece.id,
    )


def reverse_refunds(session: Session, order: Order, *, at: datetime) -> list[LedgerTransaction]:
    """Bring the order's reversals up to what was refunded: for each line, the units to have
    reversed (see `units_to_reverse`) minus those already reversed, in one reversal, last
    units first. From pending earnings while the accrual has not cleared, from cleared ones
    after (which a payout may leave negative). Returns the reversals written."""
    accruals = _accruals(session, order, lock=True)
    if not accruals:
        return []
    ids = [row.id for row in accruals.values()]
    reversed_units = _reversed_by_piece(session, ids)
    cleared = _cleared(session, ids)
    written = []
    for line in order.lines:
        accrual = accruals.get(line.id)
        if accrual is None:
            continue
        already = sum(reversed_units.get(piece.id, 0) for piece in accrual.pieces)
        left = units_to_reverse(order, line) - already
        if left <= 0:
            continue
        pieces = []
        for piece in sorted(accrual.pieces, key=lambda p: p.first_unit, reverse=True):
            done = reversed_units.get(piece.id, 0)
            units = min(left, piece.units - done)
            if units > 0:
                pieces.append(take_back(piece, done, units))
                left -= units
        count = sum(piece.units for piece in pieces)
        amount = sum(piece.amount.amount for piece in pieces)
        account = Account.CREATOR_CLEARED if accrual.id in cleared else Account.CREATOR_PENDING
        refund = _refund_for(order, line)
        written.append(
            ledger.post(
                session,
                kind=Kind.REVERSAL,
                creator_id=accrual.creator_id,
                currency=accrual.currency,
                legs=_royalty_legs(account, -amount),
                at=at,
                pieces=pieces,
                order_line_id=line.id,
                refund_id=refund.id if refund is not None else None,
                design_id=accrual.design_id,
                schedule_id=accrual.schedule_id,
                related_id=accrual.id,
                units=count,
                memo=line.title,
            )
        )
    return written


# -- awards ----------------------------------------------------------------------------------------


def award_design(
    session: Session, design: Design, *, at: datetime, settings: Config
) -> LedgerTransaction | None:
    """Credit the rules' approval award to the design's creator, cleared at once; once per
    design. None when the rules have no award, or it was given already."""
    in_force = rules.rules_at(session, at, settings)
    if in_force.award <= 0:
        return None
    given = session.scalar(
        select(LedgerTransaction.id).where(
            LedgerTransaction.kind == Kind.AWARD, LedgerTransaction.design_id == design.id
        )
    )
    if given is not None:
        return None
    return ledger.post(
        session,
        kind=Kind.AWARD,
        creator_id=design.designer_id,
        currency=settings.CURRENCY,
        legs=_royalty_legs(Account.CREATOR_CLEARED, in_force.award),
        at=at,
        design_id=design.id,
        schedule_id=in_force.schedule_id,
        memo=design.title,
    )


# -- signal receivers (connected in cocreate.royalties.init_app) -----------------------------------


def on_order_transition(sender: type, *, session: Session, subject: Order, record: Any) -> None:
    """An order paid accrues; an order refunded in full reverses what is left."""
    if record.to_state is OrderState.PAID:
        accrue_order(session, subject, at=record.created_at, settings=settings())
    elif record.to_state is OrderState.REFUNDED:
        reverse_refunds(session, subject, at=record.created_at)


def on_refund_done(
    sender: type, *, session: Session, order: Order, refund: Refund, at: datetime
) -> None:
    reverse_refunds(session, order, at=at)


def on_design_transition(sender: type, *, session: Session, subject: Design, record: Any) -> None:
    if record.to_state is DesignState.APPROVED:
        award_design(session, subject, at=record.created_at, settings=settings())
