"""A production run's life: planned → printing → in stock → closed, or cancelled before stock.

Each move is one function, staff only, through core's `transition()` (row lock, state re-read,
table check, audit row). Reaching stock also restocks the variants and puts the design on sale,
in the same transaction and under the same lock: a double click or two staff members at once
restock once, the second being refused with a message.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core.clock import clock
from cocreate.core.lifecycle import InvalidTransition, NotAllowed, TransitionTable, transition
from cocreate.designs import lifecycle as design_lifecycle
from cocreate.designs.models import Design, DesignState
from cocreate.production import reprints, stock
from cocreate.production.models import ProductionRun, RunState, RunTransition

__all__ = [
    "MAX_REASON",
    "TRANSITIONS",
    "InvalidTransition",
    "NotAllowed",
    "RunState",
    "cancel",
    "close",
    "mark_in_stock",
    "start_printing",
    "state_label",
]

R = RunState

#: from-state -> states it may move to (DESIGN.md "Production runs").
TRANSITIONS: TransitionTable[RunState] = TransitionTable(
    RunState,
    {
        R.PLANNED: {R.PRINTING, R.CANCELLED},
        R.PRINTING: {R.IN_STOCK, R.CANCELLED},
        R.IN_STOCK: {R.CLOSED},
        R.CLOSED: set(),
        R.CANCELLED: set(),
    },
)
MAX_REASON = 2000
#: Design states a run's stock can go on sale from (a first run, a reprint, a comeback).
STOCKABLE_DESIGN_STATES = frozenset(
    {DesignState.APPROVED, DesignState.ON_SALE, DesignState.RETIRED}
)


def state_label(state: RunState) -> str:
    labels = {
        R.PLANNED: _("planned"),
        R.PRINTING: _("printing"),
        R.IN_STOCK: _("in stock"),
        R.CLOSED: _("closed"),
        R.CANCELLED: _("cancelled"),
    }
    return labels[state]


def _refused(to: RunState) -> Callable[[RunState], str]:
    def message(current: RunState) -> str:
        return _(
            "This run is %(state)s, so it cannot be moved to “%(target)s”.",
            state=state_label(current),
            target=state_label(to),
        )

    return message


def _staff(actor: User) -> None:
    if not actor.is_staff:
        raise NotAllowed


def _move(
    session: Session, run: ProductionRun, to: RunState, actor: User, reason: str = ""
) -> RunTransition:
    _staff(actor)
    return transition(
        session,
        run,
        to,
        table=TRANSITIONS,
        audit_model=RunTransition,
        actor_id=actor.id,
        at=clock().now(),
        message=_refused(to),
        reason=reason,
    )


def start_printing(session: Session, run: ProductionRun, actor: User) -> RunTransition:
    """Planned → printing: the print pack went to the print partner."""
    return _move(session, run, R.PRINTING, actor)


def mark_in_stock(session: Session, run: ProductionRun, actor: User) -> RunTransition:
    """Printing → in stock: the goods arrived. Adds the run's quantities to its variants (made
    on a first run) and puts the design on sale (from approved, or from retired for a reprint;
    a design already on sale is simply restocked). Fulfils the reprint requests for the
    products and sizes it printed, telling those members."""
    _staff(actor)
    if not TRANSITIONS.allows(run.state, R.IN_STOCK):
        # The run's own state speaks first (checked again under the lock by transition()).
        raise InvalidTransition(_refused(R.IN_STOCK)(run.state))
    design = session.get_one(Design, run.design_id)
    # The design's row lock first, then the run's (in transition()): every arrival of one
    # design's runs takes them in this order, so two runs arriving at once queue up instead of
    # deadlocking (each one's new variants hold a key-share lock on the design, which the other
    # one's move to on-sale would wait for).
    session.execute(select(Design.id).where(Design.id == design.id).with_for_update())
    session.refresh(design, attribute_names=["state"])
    if design.state not in STOCKABLE_DESIGN_STATES:
        raise InvalidTransition(
            _(
                "This design is %(state)s, so its run cannot go on sale: cancel the run instead.",
                state=design_lifecycle.state_label(design.state),
            )
        )
    # First the run's own move: it locks the run and refuses a second arrival, before any stock.
    row = _move(session, run, R.IN_STOCK, actor)
    run.stocked_at = row.created_at
    stock.restock(session, run, at=row.created_at)
    design_lifecycle.put_on_sale(session, design, actor)
    # Members who asked for a reprint of a size this run printed are told it is on sale.
    reprints.fulfil(session, run, at=row.created_at)
    session.flush()
    return row


def close(session: Session, run: ProductionRun, actor: User) -> RunTransition:
    """In stock → closed: the run is done with; its variants keep their stock."""
    return _move(session, run, R.CLOSED, actor)


def cancel(session: Session, run: ProductionRun, actor: User, reason: str) -> RunTransition:
    """Planned or printing → cancelled, with a reason kept in the run's history."""
    _staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidTransition(_("Please say why this run is cancelled."))
    if len(reason) > MAX_REASON:
        raise InvalidTransition(
            _("Please keep the reason to %(max)d characters at most.", max=MAX_REASON)
        )
    return _move(session, run, R.CANCELLED, actor, reason)
